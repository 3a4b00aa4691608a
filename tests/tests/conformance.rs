//! `tufa-conformance` speaks the TUF conformance suite's client protocol:
//! exit 0/1, trusted metadata kept byte for byte, no needless requests.

use std::path::Path;
use std::process::Command;
use tufa_tests::server::{Fault, Server};
use tufa_tests::*;

fn conformance(args: &[&str]) -> (i32, String) {
    let bin = tufa_bin().with_file_name("tufa-conformance");
    let out = Command::new(bin)
        .args(args)
        .output()
        .expect("tufa-conformance");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn same_file(a: &Path, b: &Path) -> bool {
    std::fs::read(a).unwrap() == std::fs::read(b).unwrap()
}

#[test]
fn init_refresh_download_keep_metadata_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &[]);
    let b = tmp.path().join("b");
    write_bundle(&b, &[("app.bin", b"hello")]);
    add_release(&proj, b.to_str().unwrap(), "1.0");
    let repo = proj.join("repository");
    let server = Server::start(repo.clone());
    let md = tmp.path().join("client-md");
    let md_s = md.to_str().unwrap();
    let url = format!("{}/metadata", server.url);
    let turl = format!("{}/targets", server.url);
    let root1 = repo.join("metadata/1.root.json");

    assert_eq!(
        conformance(&["--metadata-dir", md_s, "init", root1.to_str().unwrap()]).0,
        0
    );
    assert!(server.log().is_empty(), "init must not touch the network");
    let (code, err) = conformance(&["--metadata-url", &url, "--metadata-dir", md_s, "refresh"]);
    assert_eq!(code, 0, "{err}");
    for f in ["timestamp.json", "snapshot.json", "targets.json"] {
        assert!(
            same_file(&md.join(f), &repo.join("metadata").join(f)),
            "{f}"
        );
    }
    let names: Vec<String> = std::fs::read_dir(&md)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let mut names = names;
    names.sort();
    assert_eq!(
        names,
        [
            "root.json",
            "snapshot.json",
            "targets.json",
            "timestamp.json"
        ]
    );
    assert_eq!(
        server.log(),
        [
            "GET /metadata/2.root.json",
            "GET /metadata/timestamp.json",
            "GET /metadata/snapshot.json",
            "GET /metadata/targets.json"
        ]
    );

    // A new root reaches the client, as served.
    tufa(&proj, &["--json", "sign", "root"]).json();
    assert_eq!(
        conformance(&["--metadata-url", &url, "--metadata-dir", md_s, "refresh"]).0,
        0
    );
    assert!(same_file(
        &md.join("root.json"),
        &repo.join("metadata/2.root.json")
    ));

    let out = tmp.path().join("dl");
    let (code, err) = conformance(&[
        "--metadata-url",
        &url,
        "--metadata-dir",
        md_s,
        "--target-name",
        "demo-1.0.tar.gz",
        "--target-dir",
        out.to_str().unwrap(),
        "--target-base-url",
        &turl,
        "download",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(same_file(
        &out.join("demo-1.0.tar.gz"),
        &repo.join("targets/demo-1.0.tar.gz")
    ));

    // Failures are exit status 1, and the trusted state stays.
    let before = fingerprint(&md);
    server.fault("/targets/demo-1.0.tar.gz", Fault::Replace(b"evil".to_vec()));
    let (code, _) = conformance(&[
        "--metadata-url",
        &url,
        "--metadata-dir",
        md_s,
        "--target-name",
        "demo-1.0.tar.gz",
        "--target-dir",
        tmp.path().join("dl2").to_str().unwrap(),
        "--target-base-url",
        &turl,
        "download",
    ]);
    assert_eq!(code, 1);
    server.fault(
        "/metadata/timestamp.json",
        Fault::Replace(b"{not json".to_vec()),
    );
    assert_eq!(
        conformance(&["--metadata-url", &url, "--metadata-dir", md_s, "refresh"]).0,
        1
    );
    assert_eq!(fingerprint(&md), before);
    assert_eq!(
        conformance(&["--metadata-dir", md_s, "--bogus", "refresh"]).0,
        1
    );
    assert_eq!(
        conformance(&[
            "--metadata-url",
            &url,
            "--metadata-dir",
            md_s,
            "refresh",
            "--days-in-future",
            "400"
        ])
        .0,
        1,
        "expired in 400 days"
    );
}
