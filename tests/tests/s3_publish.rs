//! Publishing to S3-compatible object storage (moto on 127.0.0.1): clients
//! update from the bucket's HTTP endpoint, a publish killed midway leaves
//! clients on the last complete release, re-running it finishes the job.

use std::path::Path;
use tufa_tests::moto::{head, Moto, ENV};
use tufa_tests::*;

fn bundle(tmp: &Path, v: &str, i: usize) -> String {
    bundle_of(tmp, v, i, 60_000)
}

/// A bundle over 6 MiB once archived: uploaded in parts (multipart).
fn large_bundle(tmp: &Path, v: &str, i: usize) -> String {
    bundle_of(tmp, v, i, 7_000_000)
}

fn bundle_of(tmp: &Path, v: &str, i: usize, size: usize) -> String {
    let dir = tmp.join(format!("b-{v}"));
    let mut x = 12345u32;
    let mut bin: Vec<u8> = (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    bin[1000 * (i + 1)] ^= 0xff;
    write_bundle(&dir, &[("app.bin", &bin), ("VERSION", v.as_bytes())]);
    dir.to_str().unwrap().to_string()
}

fn publish(proj: &Path, moto: &Moto, extra_env: &[(&str, &str)]) -> Run {
    let mut env: Vec<(&str, &str)> = ENV.to_vec();
    env.extend_from_slice(extra_env);
    tufa_env(
        proj,
        &[
            "--json",
            "publish",
            "--to",
            "s3://updates/demo",
            "--endpoint",
            &moto.endpoint,
        ],
        &env,
    )
}

#[test]
fn s3_publish_serves_clients_and_survives_an_interrupted_upload() {
    let moto = Moto::start("updates");
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &[]);
    let base = format!("{}/updates/demo", moto.endpoint);
    for (i, v) in ["1.0", "1.1", "1.2"].iter().enumerate() {
        add_release(&proj, &large_bundle(tmp.path(), v, i), v);
        let up = publish(&proj, &moto, &[]).json();
        assert_eq!(
            up["upload"]["uploaded"].as_array().unwrap().last().unwrap(),
            "metadata/timestamp.json"
        );
    }
    // Cache policy: timestamp never cached, root versions forever, target
    // files revalidated (a name can come back with other bytes).
    assert!(head(&format!("{base}/metadata/timestamp.json"))
        .contains("cache-control: no-cache, no-store, max-age=0"));
    assert!(head(&format!("{base}/metadata/1.root.json")).contains("immutable"));
    let archive_head = head(&format!("{base}/targets/demo-1.2.tar.gz"));
    assert!(
        archive_head.contains("cache-control: public, no-cache"),
        "{archive_head}"
    );
    // Sent in two parts (S3 marks multipart ETags with "-<parts>").
    let etag = archive_head
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("etag:"))
        .unwrap_or_default();
    assert!(etag.trim_end().ends_with("-2\""), "{archive_head}");
    // Re-publishing uploads only what changes.
    let again = publish(&proj, &moto, &[]).json();
    assert_eq!(
        again["upload"]["skipped"].as_array().unwrap().len(),
        6,
        "{again}"
    );

    let client = ClientDirs::install(&tmp.path().join("client"), &proj, Some("1.0"), false);
    let v = client.update(tmp.path(), "1.0", &base, &[]).json();
    assert_eq!(v["installed_version"], "1.2");
    tufa(tmp.path(), &["--json", "verify", &base]).json();

    // 1.3: the publish is killed after the new files went up, before any metadata.
    add_release(&proj, &large_bundle(tmp.path(), "1.3", 3), "1.3");
    let killed = publish(
        &proj,
        &moto,
        &[("TUFA_FAILPOINT", "upload-before-metadata")],
    );
    assert_eq!(killed.code, None, "{killed:#?}");
    let check = client
        .update(tmp.path(), "1.2", &base, &["--check-only"])
        .json();
    assert_eq!(
        check["update"],
        serde_json::Value::Null,
        "clients still see 1.2 as the latest: {check}"
    );
    tufa(tmp.path(), &["--json", "verify", &base]).json();
    // Running it again finishes it.
    publish(&proj, &moto, &[]).json();
    let v = client.update(tmp.path(), "1.2", &base, &[]).json();
    assert_eq!(v["installed_version"], "1.3");
    assert_eq!(v["fetched"][0]["name"], "demo-1.3.patch");

    // A removed release disappears from the bucket after the metadata.
    tufa(&proj, &["--json", "remove-latest"]).json();
    let up = publish(&proj, &moto, &[]).json();
    let deleted: Vec<&str> = up["upload"]["deleted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert_eq!(
        deleted,
        ["targets/demo-1.3.patch", "targets/demo-1.3.tar.gz"]
    );
    tufa(tmp.path(), &["--json", "verify", &base]).json();
}

#[test]
fn publish_to_a_directory_and_from_the_project_file() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &[]);
    add_release(&proj, &bundle(tmp.path(), "1.0", 0), "1.0");
    let www = tmp.path().join("www");
    let toml = std::fs::read_to_string(proj.join("tufa.toml")).unwrap();
    std::fs::write(
        proj.join("tufa.toml"),
        format!("{toml}\n[publish]\nto = \"{}\"\n", www.display()),
    )
    .unwrap();
    let up = tufa(&proj, &["--json", "publish"]).json();
    assert_eq!(up["upload"]["uploaded"].as_array().unwrap().len(), 6);
    assert_eq!(
        fingerprint(&www.join("metadata")),
        fingerprint(&proj.join("repository/metadata"))
    );
    let bad = tufa(&proj, &["--json", "publish", "--to", "ftp://host/x"]);
    assert!(bad.stdout.contains("only s3:// URLs"), "{bad:#?}");
    // A relative folder in the project settings counts from the project,
    // not from wherever tufa runs.
    std::fs::write(
        proj.join("tufa.toml"),
        format!("{toml}\n[publish]\nto = \"site\"\n"),
    )
    .unwrap();
    let up = tufa(&proj, &["--json", "publish"]).json();
    assert_eq!(up["to"], "site");
    assert!(proj.join("site/metadata/timestamp.json").exists());
}

#[test]
fn retention_keeps_every_kept_release_updatable_by_patch() {
    let moto = Moto::start("retention");
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &[]);
    let versions: Vec<String> = (0..50).map(|i| format!("1.{i}")).collect();
    for (i, v) in versions.iter().enumerate() {
        add_release(&proj, &bundle(tmp.path(), v, i % 50), v);
    }
    let pruned = tufa(&proj, &["--json", "prune", "--keep", "10"]).json();
    assert_eq!(pruned["removed_versions"].as_array().unwrap().len(), 40);
    // Every client on a removed release downloads the newest archive.
    let stranded = pruned["stranded"].as_array().unwrap();
    assert_eq!(stranded.len(), 40, "{pruned}");
    assert!(
        stranded
            .iter()
            .all(|s| s["to_version"] == "1.49" && s["share"] == 100),
        "{pruned}"
    );
    let env: Vec<(&str, &str)> = ENV.to_vec();
    tufa_env(
        &proj,
        &[
            "--json",
            "publish",
            "--to",
            "s3://retention/r",
            "--endpoint",
            &moto.endpoint,
        ],
        &env,
    )
    .json();
    let base = format!("{}/retention/r", moto.endpoint);
    tufa(tmp.path(), &["--json", "verify", &base]).json();
    // Every kept release but the newest updates to 1.49 by patch.
    for v in &versions[40..49] {
        let client = ClientDirs::install(
            &tmp.path().join(format!("client-{v}")),
            &proj,
            Some(v),
            true,
        );
        let r = client.update(tmp.path(), v, &base, &[]).json();
        assert_eq!(r["installed_version"], "1.49", "{v}");
        assert_eq!(r["update"]["method"], "patch", "{v}: {r}");
    }
    // A client on a removed release gets the full archive.
    let old = ClientDirs::install(&tmp.path().join("client-old"), &proj, None, false);
    let r = old.update(tmp.path(), "1.3", &base, &[]).json();
    assert_eq!(r["fetched"][0]["name"], "demo-1.49.tar.gz");
}
