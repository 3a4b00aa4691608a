//! Security review: the update helper (`<app> --tufa-apply-update <plan>`,
//! i.e. `handover::execute`) trusts every field of the plan file. A plan
//! crafted for a directory that is no Tufa install (no staged marker, no
//! app in it) still gets that directory replaced by another one, its old
//! contents deleted, and the plan's `restart` program run with the
//! helper's privileges. The only check is that the plan sits at
//! `<install_dir>.tufa-handover.json`.
//!
//! Ignored: it fails until the helper checks the plan (the staged marker
//! matches, the install dir is the helper's own folder, the restart
//! program is the app inside it, the plan file is the user's and not
//! writable by others).

#![cfg(unix)]

use std::path::Path;
use tufa::install::handover;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

#[test]
#[ignore = "vulnerability: the hand-over helper executes any plan file; fails until execute() validates the plan"]
fn a_crafted_plan_cannot_replace_an_arbitrary_directory_or_run_a_program() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let victim = tmp.path().join("Documents");
    write(&victim.join("thesis.txt"), "precious");
    // The attacker's tree, named like a staged version, but never staged
    // by Tufa (no `.tufa-next.json` marker).
    let next = tmp.path().join("Documents.tufa-next");
    write(&next.join("README"), "attacker");
    let ran = tmp.path().join("restart-program-ran");
    let plan = serde_json::json!({
        "format": 1,
        "install_dir": victim,
        "staged": { "version": "6.6.6", "dir": next, "purge": true, "exclude": [] },
        "wait_for_pid": 999_999_999u32,
        "helper_pid": null,
        "restart": { "program": "/bin/sh", "args": ["-c", format!("touch '{}'", ran.display())] },
    });
    let plan_path = tmp.path().join("Documents.tufa-handover.json");
    std::fs::write(&plan_path, serde_json::to_vec(&plan).expect("json")).expect("plan");

    let outcome = handover::execute(&plan_path);

    // Give a spawned restart program a moment to run.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let kept = std::fs::read_to_string(victim.join("thesis.txt")).ok();
    assert!(
        outcome.is_err(),
        "the helper accepted a plan for {} that Tufa never wrote",
        victim.display()
    );
    assert_eq!(
        kept.as_deref(),
        Some("precious"),
        "the directory was replaced and its contents deleted"
    );
    assert!(
        !ran.exists(),
        "the plan's restart program (/bin/sh) was run"
    );
}
