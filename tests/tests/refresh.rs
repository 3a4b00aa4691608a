//! `tufa refresh`: re-signs the roles inside their warning window and
//! uploads to the saved destination; leaves alone what it cannot sign.

use std::path::Path;
use tufa_tests::*;

/// Sets `expires_days` of `role` in tufa.toml: a longer period puts the
/// role's current expiry inside its warning window (a fifth of the
/// period), without waiting for the clock.
fn set_period(proj: &Path, role: &str, days: u32) {
    let path = proj.join("tufa.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let section = format!("[roles.{role}]\n");
    let start = text.find(&section).unwrap() + section.len();
    let line = start + text[start..].find("expires_days = ").unwrap();
    let end = line + text[line..].find('\n').unwrap();
    let edited = format!("{}expires_days = {days}{}", &text[..line], &text[end..]);
    std::fs::write(&path, edited).unwrap();
}

fn severity(proj: &Path, role: &str) -> String {
    let status = tufa(proj, &["--json", "status"]).json();
    let roles = status["roles"].as_array().unwrap();
    let r = roles.iter().find(|r| r["role"] == role).unwrap();
    r["severity"].as_str().unwrap().to_string()
}

#[test]
fn refresh_re_signs_what_is_due_and_uploads_to_the_saved_destination() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(
        tmp.path(),
        &["--expires", "timestamp=7", "--expires", "snapshot=7"],
    );
    // Nothing due, nowhere to upload: nothing happens.
    let quiet = tufa(&proj, &["--json", "refresh"]).json();
    assert_eq!(quiet["refresh"]["signed"], serde_json::json!([]));
    assert!(quiet["upload"].is_null());

    // Timestamp now re-signed every 365 days: 7 days left is inside the window.
    set_period(&proj, "timestamp", 365);
    assert_eq!(severity(&proj, "timestamp"), "warn");
    let path = proj.join("tufa.toml");
    let mut toml_text = std::fs::read_to_string(&path).unwrap();
    toml_text.push_str("\n[publish]\nto = \"www\"\n");
    std::fs::write(&path, toml_text).unwrap();

    let run = tufa(&proj, &["--json", "refresh"]).json();
    assert_eq!(run["refresh"]["signed"], serde_json::json!(["timestamp"]));
    assert_eq!(run["refresh"]["versions"][0]["role"], "timestamp");
    assert_eq!(run["to"], "www");
    let uploaded: Vec<&str> = run["upload"]["uploaded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        uploaded.contains(&"metadata/timestamp.json"),
        "{uploaded:?}"
    );
    // The relative destination counts from the project folder.
    assert_eq!(
        std::fs::read(proj.join("www/metadata/timestamp.json")).unwrap(),
        std::fs::read(proj.join("repository/metadata/timestamp.json")).unwrap()
    );
    assert_eq!(severity(&proj, "timestamp"), "ok");

    // Done: a second run re-signs nothing and uploads nothing.
    let again = tufa(&proj, &["--json", "refresh"]).json();
    assert_eq!(again["refresh"]["signed"], serde_json::json!([]));
    assert!(again["upload"].is_null(), "{again:#}");
    let text = tufa(&proj, &["refresh"]);
    assert!(text.stdout.contains("Nothing was due"), "{text:#?}");
    assert!(text.stdout.contains("is up to date"), "{text:#?}");
}

#[test]
fn refresh_leaves_targets_without_its_key_and_root_to_the_custodians() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &["--expires", "timestamp=7"]);
    set_period(&proj, "targets", 3650);
    set_period(&proj, "root", 36500);
    std::fs::rename(proj.join("keys/targets.pem"), tmp.path().join("away.pem")).unwrap();
    let before = fingerprint(&proj.join("repository/metadata"));
    let run = tufa(&proj, &["--json", "refresh", "--no-upload"]).json();
    assert_eq!(run["refresh"]["signed"], serde_json::json!([]));
    let skipped = run["refresh"]["skipped"].as_array().unwrap();
    assert_eq!(skipped[0]["role"], "root");
    assert_eq!(skipped[0]["remedy"]["kind"], "new_signing_request");
    assert_eq!(skipped[1]["role"], "targets");
    assert_eq!(skipped[1]["remedy"]["kind"], "provide_key");
    assert_eq!(skipped[1]["remedy"]["name"], "targets");
    assert_eq!(fingerprint(&proj.join("repository/metadata")), before);
    let text = tufa(&proj, &["refresh", "--no-upload"]);
    assert!(
        text.stdout
            .contains("Not re-signed: targets: 0 of the 1 targets keys"),
        "{text:#?}"
    );
}
