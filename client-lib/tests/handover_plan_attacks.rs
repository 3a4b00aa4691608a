//! The update helper (`<app> --tufa-apply-update <plan>`, that is
//! `handover::execute`) can be started by anyone with any file. Plans
//! Tufa did not write are refused before anything moves: a directory with
//! no staged version (the first outside review replaced a `Documents`
//! folder this way and ran the plan's `/bin/sh`), a restart program
//! outside the install dir, a plan file others can change.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use tufa::install::handover;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

struct Case {
    _tmp: tempfile::TempDir,
    victim: PathBuf,
    next: PathBuf,
    ran: PathBuf,
    plan: PathBuf,
}

/// A plan for `Documents` with a tree beside it named like a staged
/// version; `marker`: the tree was staged by Tufa (its marker written).
fn case(marker: bool, program: Option<&str>) -> Case {
    let tmp = tempfile::tempdir().expect("tempdir");
    let victim = tmp.path().join("Documents");
    write(&victim.join("thesis.txt"), "precious");
    let next = tmp.path().join("Documents.tufa-next");
    write(&next.join("README"), "attacker");
    let staged =
        serde_json::json!({ "version": "6.6.6", "dir": next, "purge": true, "exclude": [] });
    if marker {
        let m = tmp.path().join("Documents.tufa-next.json");
        std::fs::write(&m, serde_json::to_vec(&staged).expect("json")).expect("marker");
    }
    let ran = tmp.path().join("restart-program-ran");
    let restart = program.map(|p| {
        serde_json::json!({ "program": p, "args": ["-c", format!("touch '{}'", ran.display())] })
    });
    let plan = serde_json::json!({
        "format": 1,
        "install_dir": victim,
        "staged": staged,
        "wait_for_pid": 999_999_999u32,
        "helper_pid": null,
        "restart": restart,
    });
    let plan_path = tmp.path().join("Documents.tufa-handover.json");
    std::fs::write(&plan_path, serde_json::to_vec(&plan).expect("json")).expect("plan");
    Case {
        _tmp: tmp,
        victim,
        next,
        ran,
        plan: plan_path,
    }
}

fn refused(c: &Case, why: &str) {
    let err = handover::execute(&c.plan).expect_err("the plan was executed");
    let text = err.to_string();
    assert!(text.contains("is refused") && text.contains(why), "{text}");
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(
        std::fs::read_to_string(c.victim.join("thesis.txt"))
            .ok()
            .as_deref(),
        Some("precious"),
        "the directory was replaced"
    );
    assert!(c.next.join("README").exists(), "the other tree was moved");
    assert!(!c.ran.exists(), "the restart program ran");
    assert!(c.plan.exists(), "a refused plan is left for the app to see");
}

#[test]
fn a_tree_tufa_never_staged_is_not_swapped_in() {
    refused(&case(false, Some("/bin/sh")), "was not staged by Tufa");
}

#[test]
fn a_restart_program_outside_the_install_dir_is_not_run() {
    refused(&case(true, Some("/bin/sh")), "neither in");
    // Climbing out of the install dir by `..` counts as outside.
    let c = case(true, None);
    let sneaky = c.victim.join("../../../bin/sh");
    let mut plan: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&c.plan).expect("plan")).expect("json");
    plan["restart"] = serde_json::json!({ "program": sneaky, "args": [] });
    std::fs::write(&c.plan, serde_json::to_vec(&plan).expect("json")).expect("plan");
    refused(&c, "neither in");
}

#[test]
fn a_plan_others_can_change_is_refused() {
    let c = case(true, None);
    std::fs::set_permissions(&c.plan, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    refused(&c, "only this user can change");
}
