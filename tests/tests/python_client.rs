//! The real Python tufup 0.10.0 client (from PyPI) updates from
//! repositories Tufa publishes: through both patches, and through the full
//! archive when patches are disabled or nothing is cached, including a root
//! rotation published by Tufa.

use std::process::Command;
use tufa_tests::*;

fn publish_fixture_versions(tmp: &std::path::Path) -> std::path::PathBuf {
    let bundles = fixture_bundles(&tmp.join("bundles"));
    let proj = init_project(tmp, &[]);
    add_release(&proj, bundles.join("1.0").to_str().unwrap(), "1.0");
    add_release(&proj, bundles.join("1.1").to_str().unwrap(), "1.1");
    let meta = r#"{"changes": ["new feature x", "bug y fixed"], "channel": "stable"}"#;
    let added = tufa(
        &proj,
        &[
            "--json",
            "add",
            bundles.join("2.0").to_str().unwrap(),
            "--version",
            "2.0",
            "--meta",
            meta,
        ],
    )
    .json();
    assert_eq!(added["plan"]["patch"]["name"], "demo-2.0.patch");
    proj
}

/// Runs the Python tufup client checker (tests/tufup/) against `repo`:
/// scenario A (patches 1.1 and 2.0), B (patch=False → full archive), C (no
/// cached archive → full), D (up to date). Installed files must equal the
/// 2.0 bundle manifest.
fn run_python_checker(tmp: &std::path::Path, repo: &std::path::Path) -> serde_json::Value {
    let mut expected = read_json(&fixture().join("expected_state.json"));
    let targets = read_json(&repo.join("metadata/targets.json"));
    let customs: serde_json::Map<String, serde_json::Value> = targets["signed"]["targets"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v["custom"].clone()))
        .collect();
    // The checker compares against the tar_hash of the latest patch: ours,
    // since Tufa's deterministic tar differs from tufup's PAX tar.
    expected["targets_custom"] = serde_json::Value::Object(customs);
    let expected_path = tmp.join("expected.json");
    std::fs::write(&expected_path, expected.to_string()).unwrap();
    let out = Command::new(python())
        .arg(tufup_script("verify_with_python_client.py"))
        .arg(repo)
        .arg(&expected_path)
        .arg(repo.join("metadata/1.root.json"))
        .output()
        .expect("running python checker");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("RESULT: PASS"),
        "Python tufup client failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json_end = stdout.rfind("RESULT:").unwrap();
    serde_json::from_str(&stdout[..json_end]).expect("checker JSON")
}

#[test]
fn python_tufup_client_updates_through_patches_and_full_archive() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = publish_fixture_versions(tmp.path());
    let results = run_python_checker(tmp.path(), &proj.join("repository"));
    assert_eq!(
        results["A_patch"]["selected"],
        serde_json::json!(["demo-1.1.patch", "demo-2.0.patch"])
    );
    assert_eq!(
        results["B_full_forced"]["selected"],
        serde_json::json!(["demo-2.0.tar.gz"])
    );
    assert_eq!(
        results["C_full_no_cached_archive"]["selected"],
        serde_json::json!(["demo-2.0.tar.gz"])
    );
    assert_eq!(results["A_patch"]["install_matches_latest"], true);
    assert_eq!(
        results["A_patch"]["custom_user"]["changes"],
        serde_json::json!(["new feature x", "bug y fixed"])
    );
}

#[test]
fn python_tufup_client_follows_a_root_version_published_by_tufa() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = publish_fixture_versions(tmp.path());
    let signed = tufa(&proj, &["--json", "sign", "root", "--expires", "400"]).json();
    assert_eq!(signed["published"], true);
    let repo = proj.join("repository");
    assert!(repo.join("metadata/2.root.json").exists());
    let results = run_python_checker(tmp.path(), &repo);
    assert_eq!(results["A_patch"]["trusted_root_version_after"], 2);
}

#[test]
fn python_tarfile_unpacks_long_names_symlinks_and_executables() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let bundle = tmp.path().join("bundle");
    let long = format!("deep/{}/{}.txt", "d".repeat(90), "n".repeat(80));
    write_bundle(
        &bundle,
        &[
            ("bin/app", b"#!/bin/sh\necho hi\n"),
            (long.as_str(), b"long"),
            ("lib/libx.so.1", b"so"),
        ],
    );
    std::fs::set_permissions(
        bundle.join("bin/app"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    std::os::unix::fs::symlink("libx.so.1", bundle.join("lib/libx.so")).unwrap();
    // Large enough for an archive of several gzip members (compressed in
    // parallel): Python's gzip must read them all.
    let big: Vec<u8> = (0..9_000_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    std::fs::write(bundle.join("assets.bin"), &big).unwrap();
    let proj = init_project(tmp.path(), &[]);
    add_release(&proj, bundle.to_str().unwrap(), "1.0");
    let out = tmp.path().join("out");
    let script = "import sys, tarfile\nwith tarfile.open(sys.argv[1]) as t:\n    t.extractall(sys.argv[2], filter='tar')\n    print('\\n'.join(t.getnames()))\n";
    let run = Command::new(python())
        .args(["-c", script])
        .arg(proj.join("repository/targets/demo-1.0.tar.gz"))
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let names = String::from_utf8_lossy(&run.stdout);
    assert!(
        names.lines().all(|n| n.starts_with("./") || n == "."),
        "tufup layout: {names}"
    );
    assert_eq!(std::fs::read(out.join(&long)).unwrap(), b"long");
    assert!(
        std::fs::read(out.join("assets.bin")).unwrap() == big,
        "multi-member archive read whole"
    );
    let mode = std::fs::metadata(out.join("bin/app"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o111, 0o111, "executable bit kept: {mode:o}");
    assert_eq!(
        std::fs::read_link(out.join("lib/libx.so"))
            .unwrap()
            .to_str(),
        Some("libx.so.1")
    );
}
