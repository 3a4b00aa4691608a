//! Signing: thresholds above one with keys on different machines, keys
//! passed through the environment, expiry refresh, removal of a release.

use std::path::Path;
use tufa_tests::*;

fn bundle(tmp: &Path, name: &str, content: &[u8]) -> String {
    let dir = tmp.join(name);
    write_bundle(&dir, &[("app.bin", content)]);
    dir.to_str().unwrap().to_string()
}

#[test]
fn a_role_below_threshold_is_staged_until_the_second_key_signs() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &["--threshold", "targets=2"]);
    let init_status = tufa(&proj, &["--json", "status"]).json();
    assert_eq!(init_status["roles"][1]["threshold"], 2);
    // The second targets key lives on another machine.
    let away = tmp.path().join("targets-2.pem");
    std::fs::rename(proj.join("keys/targets-2.pem"), &away).unwrap();
    let repo_before = fingerprint(&proj.join("repository/metadata"));

    let b1 = bundle(tmp.path(), "b1", b"one");
    let run = tufa(&proj, &["--json", "add", &b1, "--version", "1.0"]);
    assert_eq!(run.code, Some(3), "staged exit status: {run:#?}");
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["outcome"]["published"], false);
    assert_eq!(v["outcome"]["waiting"][0]["role"], "targets");
    assert_eq!(v["outcome"]["waiting"][0]["signatures"], 1);
    assert_eq!(v["outcome"]["waiting"][0]["threshold"], 2);
    assert!(v["outcome"]["waiting"][0]["missing"][0]
        .as_str()
        .unwrap()
        .contains("targets-2"));
    assert_eq!(fingerprint(&proj.join("repository/metadata")), repo_before);
    let status = tufa(&proj, &["--json", "status"]).json();
    assert!(status["staged"][0]
        .as_str()
        .unwrap()
        .contains("targets version 2"));

    // Another add must wait for the staged one.
    let b2 = bundle(tmp.path(), "b2", b"two");
    let blocked = tufa(&proj, &["add", &b2, "--version", "1.1"]);
    assert!(blocked.stderr.contains("staged"), "{blocked:#?}");

    // The custodian of targets-2 signs (here: through the environment).
    let pem = std::fs::read_to_string(&away).unwrap();
    let signed = tufa_env(
        &proj,
        &["--json", "sign", "targets"],
        &[("TUFA_KEY_TARGETS_2", &pem)],
    );
    let v = signed.json();
    assert_eq!(v["published"], true);
    let targets = read_json(&proj.join("repository/metadata/targets.json"));
    assert_eq!(targets["signatures"].as_array().unwrap().len(), 2);
    assert!(proj.join("repository/targets/demo-1.0.tar.gz").exists());
    assert!(!proj.join(".tufa/staged").exists());
}

#[test]
fn keys_can_come_from_the_environment_only() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &[]);
    let mut env = Vec::new();
    for role in ["targets", "snapshot", "timestamp"] {
        let path = proj.join(format!("keys/{role}.pem"));
        env.push((
            format!("TUFA_KEY_{}", role.to_uppercase()),
            std::fs::read_to_string(&path).unwrap(),
        ));
        std::fs::remove_file(path).unwrap();
    }
    let env_refs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let b1 = bundle(tmp.path(), "b1", b"one");
    let v = tufa_env(
        &proj,
        &["--json", "add", &b1, "--version", "1.0"],
        &env_refs,
    )
    .json();
    assert_eq!(v["outcome"]["published"], true);
    let status = tufa_env(&proj, &["--json", "status"], &env_refs).json();
    let targets_key = status["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "targets")
        .unwrap();
    assert_eq!(targets_key["available"], true);
    assert!(targets_key["location"]
        .as_str()
        .unwrap()
        .contains("TUFA_KEY_TARGETS"));
    // Garbage in the variable is a clear error, not a crash.
    let bad = tufa_env(
        &proj,
        &["--json", "sign", "timestamp"],
        &[("TUFA_KEY_TIMESTAMP", "not a key")],
    );
    assert_eq!(bad.code, Some(1));
    assert!(bad.stdout.contains("TUFA_KEY_TIMESTAMP"), "{bad:#?}");
}

#[test]
fn timestamp_refresh_needs_only_the_timestamp_key() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &[]);
    for role in ["root", "targets", "snapshot"] {
        std::fs::remove_file(proj.join(format!("keys/{role}.pem"))).unwrap();
    }
    let before = read_json(&proj.join("repository/metadata/snapshot.json"));
    let v = tufa(&proj, &["--json", "sign", "timestamp", "--expires", "3"]).json();
    assert_eq!(v["versions"].as_array().unwrap().len(), 1);
    assert_eq!(v["versions"][0]["role"], "timestamp");
    assert_eq!(v["versions"][0]["to"], 2);
    assert_eq!(
        read_json(&proj.join("repository/metadata/snapshot.json")),
        before
    );
    let status = tufa(&proj, &["--json", "status"]).json();
    let left = status["roles"][3]["expires_in_secs"].as_i64().unwrap();
    assert!((3 * 86_400 - 60..=3 * 86_400).contains(&left), "{left}");
    let expires = status["roles"][3]["expires"].as_str().unwrap();
    assert!(
        expires.ends_with('Z') && !expires.contains('.'),
        "whole seconds: {expires}"
    );
}

#[test]
fn remove_latest_drops_archive_patch_and_metadata_entries() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &[]);
    let b1 = bundle(tmp.path(), "b1", &[7u8; 3000]);
    let b2 = bundle(tmp.path(), "b2", &[8u8; 3000]);
    add_release(&proj, &b1, "1.0");
    tufa(
        &proj,
        &["--json", "add", &b2, "--version", "1.1", "--required"],
    )
    .json();
    let status = tufa(&proj, &["--json", "status"]).json();
    assert_eq!(status["releases"][1]["required"], true);
    let v = tufa(&proj, &["--json", "remove-latest"]).json();
    assert_eq!(v["removed_version"], "1.1");
    let removed: Vec<&str> = v["outcome"]["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert_eq!(removed.len(), 2, "{removed:?}");
    assert!(!proj.join("repository/targets/demo-1.1.tar.gz").exists());
    assert!(!proj.join("repository/targets/demo-1.1.patch").exists());
    let targets = read_json(&proj.join("repository/metadata/targets.json"));
    assert_eq!(targets["signed"]["targets"].as_object().unwrap().len(), 1);
    // 1.1 may be released again (with other content) afterwards.
    add_release(&proj, &b2, "1.1");
}

#[test]
fn plan_changes_nothing_and_matches_the_real_add() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &[]);
    // Incompressible content, so that a patch beats the archive.
    let mut state = 0x2545_f491_u32;
    let b1content: Vec<u8> = (0..20_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect();
    let b1 = bundle(tmp.path(), "b1", &b1content);
    let mut b2content = b1content.clone();
    b2content[100..200].fill(9);
    let b2 = bundle(tmp.path(), "b2", &b2content);
    add_release(&proj, &b1, "1.0");
    let before = fingerprint(&proj);
    let plan = tufa(&proj, &["--json", "add", &b2, "--version", "1.1", "--plan"]).json();
    assert_eq!(fingerprint(&proj), before);
    let added = add_release(&proj, &b2, "1.1");
    assert_eq!(plan["archive"], added["plan"]["archive"]);
    assert_eq!(plan["patch"], added["plan"]["patch"]);
    assert_eq!(plan["tar_hash"], added["plan"]["tar_hash"]);
    assert_eq!(plan["clients"][0]["method"], "patch");
    let on_disk = std::fs::metadata(proj.join("repository/targets/demo-1.1.patch"))
        .unwrap()
        .len();
    assert_eq!(plan["patch"]["size"], on_disk);
}

#[test]
fn a_bundle_can_be_a_tar_gz_and_gives_the_same_tar() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &[]);
    let dir = tmp.path().join("b1");
    write_bundle(&dir, &[("app.bin", b"binary"), ("lib/x.txt", b"x")]);
    let first = add_release(&proj, dir.to_str().unwrap(), "1.0");
    // The release's own archive as the bundle of the next version: same tar.
    let archive = proj.join("repository/targets/demo-1.0.tar.gz");
    let plan = tufa(
        &proj,
        &[
            "--json",
            "add",
            archive.to_str().unwrap(),
            "--version",
            "1.1",
            "--plan",
        ],
    )
    .json();
    assert_eq!(plan["tar_hash"], first["plan"]["tar_hash"]);
    // A hostile archive is refused like a hostile download.
    let evil = tmp.path().join("evil.tar.gz");
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(4);
    h.set_mode(0o644);
    h.as_old_mut().name[..12].copy_from_slice(b"../escape.sh");
    h.set_cksum();
    b.append(&h, &b"evil"[..]).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &b.into_inner().unwrap()).unwrap();
    std::fs::write(&evil, gz.finish().unwrap()).unwrap();
    let run = tufa(
        &proj,
        &["--json", "add", evil.to_str().unwrap(), "--version", "1.1"],
    );
    assert_eq!(run.code, Some(1));
    assert!(run.stdout.contains("climbs out"), "{run:#?}");
}
