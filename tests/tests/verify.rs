//! `tufa verify URL` checks a served repository as a client would and
//! names every problem in plain words.

use tufa_tests::server::{Fault, Server};
use tufa_tests::*;

#[test]
fn verify_reports_missing_and_altered_files_and_expiry() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &[]);
    for (v, byte) in [("1.0", 1u8), ("1.1", 2u8)] {
        let b = tmp.path().join(format!("b{v}"));
        let mut content: Vec<u8> = (0..40_000u32).map(|i| (i * 7 % 251) as u8).collect();
        content[100] = byte;
        write_bundle(&b, &[("app.bin", &content)]);
        add_release(&proj, b.to_str().unwrap(), v);
    }
    let server = Server::start(proj.join("repository"));
    let ok = tufa(tmp.path(), &["--json", "verify", &server.url]).json();
    assert_eq!(ok["problems"], serde_json::json!([]));
    assert_eq!(ok["targets_checked"], 3);
    let root = proj.join("repository/metadata/1.root.json");
    tufa(
        tmp.path(),
        &[
            "--json",
            "verify",
            &server.url,
            "--root",
            root.to_str().unwrap(),
        ],
    )
    .json();

    server.fault(
        "/targets/demo-1.1.patch",
        Fault::Replace(b"not the patch".to_vec()),
    );
    std::fs::remove_file(proj.join("repository/targets/demo-1.0.tar.gz")).unwrap();
    let bad = tufa(tmp.path(), &["--json", "verify", &server.url]);
    assert_eq!(bad.code, Some(1), "{bad:#?}");
    let v: serde_json::Value = serde_json::from_str(&bad.stdout).unwrap();
    let problems = v["problems"].to_string();
    assert!(
        problems.contains("targets/demo-1.0.tar.gz: missing on the server"),
        "{problems}"
    );
    assert!(
        problems.contains("targets/demo-1.1.patch: content differs"),
        "{problems}"
    );
    assert_eq!(v["problems"].as_array().unwrap().len(), 2, "{problems}");

    // Two days on, the one-day timestamp has expired.
    let out = std::process::Command::new("faketime")
        .args(["-f", "+2d"])
        .arg(tufa_bin())
        .args(["--json", "verify", &server.url])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["problems"].to_string().contains("timestamp expired"),
        "{v}"
    );
}
