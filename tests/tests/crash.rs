//! A crash at any point of a publish leaves the old state or the new one,
//! never a mix: the process is killed at each step of the commit and the
//! next tufa run must find a consistent, verifiable repository.

use std::path::Path;
use tufa_tests::*;

fn setup(tmp: &Path) -> std::path::PathBuf {
    let proj = init_project(tmp, &[]);
    write_bundle(
        &tmp.join("b1"),
        &[("app.bin", &[1u8; 5000][..]), ("notes.txt", b"one")],
    );
    write_bundle(
        &tmp.join("b2"),
        &[("app.bin", &[2u8; 5000][..]), ("notes.txt", b"two")],
    );
    add_release(&proj, tmp.join("b1").to_str().unwrap(), "1.0");
    proj
}

fn without_lock(
    mut fp: std::collections::BTreeMap<String, String>,
) -> std::collections::BTreeMap<String, String> {
    fp.retain(|k, _| !k.ends_with(".tufa-lock"));
    fp
}

#[test]
fn crash_at_every_step_of_a_publish_leaves_old_or_new_state() {
    // Steps of adding 1.1: archive, patch, targets, snapshot, timestamp.
    let points = [
        "before-manifest",
        "after-manifest",
        "after-op-1",
        "after-op-2",
        "after-op-3",
        "after-op-4",
        "after-op-5",
    ];
    for point in points {
        let tmp = tempfile::tempdir().unwrap();
        let proj = setup(tmp.path());
        let repo = proj.join("repository");
        let before = without_lock(fingerprint(&repo));
        let b2 = tmp.path().join("b2");
        let run = tufa_env(
            &proj,
            &["--json", "add", b2.to_str().unwrap(), "--version", "1.1"],
            &[("TUFA_FAILPOINT", point)],
        );
        assert_eq!(
            run.code, None,
            "{point}: the process should have been killed: {run:#?}"
        );

        // The next run recovers and verifies every signature and pin.
        let mut status = tufa(&proj, &["--json", "status"]).json();
        if point == "before-manifest" {
            // Rolled back: the repository is as before, the signed change
            // is still staged in the project and can go out again.
            assert_eq!(
                without_lock(fingerprint(&repo)),
                before,
                "{point}: old state must be intact"
            );
            assert!(
                !status["staged"].as_array().unwrap().is_empty(),
                "{point}: {status}"
            );
            tufa(&proj, &["--json", "publish"]).json();
            status = tufa(&proj, &["--json", "status"]).json();
        }
        let versions: Vec<&str> = status["releases"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["version"].as_str().unwrap())
            .collect();
        let files: Vec<String> = std::fs::read_dir(repo.join("targets"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            !repo.join(".tufa-pending").exists(),
            "{point}: pending left behind"
        );
        assert_eq!(versions, ["1.0", "1.1"], "{point}");
        assert_eq!(files.len(), 3, "{point}: {files:?}");
        assert_eq!(
            status["roles"][3]["version"], 3,
            "{point}: timestamp version"
        );
        assert!(
            status["staged"].as_array().unwrap().is_empty(),
            "{point}: {status}"
        );
        // And the repository keeps working.
        let b3 = tmp.path().join("b3");
        write_bundle(&b3, &[("app.bin", &[3u8; 5000][..])]);
        add_release(&proj, b3.to_str().unwrap(), "2.0");
    }
}

#[test]
fn a_crash_while_building_a_release_leaves_the_repository_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = setup(tmp.path());
    let repo = proj.join("repository");
    let before = without_lock(fingerprint(&repo));
    let b2 = tmp.path().join("b2");
    let run = tufa_env(
        &proj,
        &["add", b2.to_str().unwrap(), "--version", "1.1"],
        &[("TUFA_FAILPOINT", "before-manifest")],
    );
    assert_eq!(run.code, None);
    // The staged change survives in the project (it was complete and
    // signed) but the repository is unchanged until it is published.
    tufa(&proj, &["--json", "status"]).json();
    assert_eq!(without_lock(fingerprint(&repo)), before);
    let published = tufa(&proj, &["--json", "publish"]).json();
    assert_eq!(published["published"], true);
    let status = tufa(&proj, &["--json", "status"]).json();
    assert_eq!(status["releases"].as_array().unwrap().len(), 2);
}
