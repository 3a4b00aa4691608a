//! `tufa expiry ROLE DAYS [--sign]`, the check of a published copy inside
//! a project (its periods decide the warning window, as in the status),
//! and `tufa key replace` keeping a key's custody by default.

use tufa_tests::server::Server;
use tufa_tests::*;

#[test]
fn expiry_periods_are_changed_within_bounds_and_applied_with_sign() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &[]);
    for (role, days) in [("snapshot", "0"), ("timestamp", "400"), ("root", "5000")] {
        let run = tufa(&proj, &["--json", "expiry", role, days]);
        assert_eq!(
            run.error_code(),
            "invalid_setting",
            "{role} {days}: {run:#?}"
        );
    }
    let status = |role: &str| {
        let s = tufa(&proj, &["--json", "status"]).json();
        s["roles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["role"] == role)
            .unwrap()
            .clone()
    };
    let before = status("snapshot");
    let v = tufa(&proj, &["--json", "expiry", "snapshot", "14"]).json();
    assert_eq!(v["change"]["previous_days"], 7);
    assert_eq!(v["change"]["days"], 14);
    assert_eq!(v["change"]["remedy"]["kind"], "refresh_role");
    assert!(v["signed"].is_null());
    let after = status("snapshot");
    assert_eq!(after["period_days"], 14);
    assert_eq!(
        after["expires"], before["expires"],
        "signed metadata untouched"
    );
    assert!(std::fs::read_to_string(proj.join("tufa.toml"))
        .unwrap()
        .contains("expires_days = 14"));

    // --sign applies it at once.
    let v = tufa(&proj, &["--json", "expiry", "timestamp", "2", "--sign"]).json();
    assert_eq!(v["signed"]["published"], true, "{v}");
    assert!(status("timestamp")["expires_in_secs"].as_i64().unwrap() > 86_400 + 3_600);
    // Root's period is saved, but a new root is a ceremony.
    let run = tufa(&proj, &["expiry", "root", "730", "--sign"]);
    assert!(run.error().contains("root request"), "{run:#?}");
    assert_eq!(status("root")["period_days"], 730);
}

#[test]
fn the_check_inside_a_project_judges_expiry_by_its_periods() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &[]);
    let server = Server::start(proj.join("repository"));
    // Expiry is in whole seconds: a one-day timestamp strictly less than
    // a day away, as it is a minute after signing.
    std::thread::sleep(std::time::Duration::from_secs(2));
    let here = tufa(&proj, &["--json", "verify", &server.url]).json();
    assert_eq!(here["warnings"], serde_json::json!([]), "{here}");
    // Outside a project, a client's view: the one-day window.
    let elsewhere = tufa(
        &tmp.path().join("nowhere"),
        &["--json", "verify", &server.url],
    )
    .json();
    let warnings = elsewhere["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{elsewhere}");
    assert!(warnings[0]
        .as_str()
        .unwrap()
        .starts_with("timestamp expires in"));
}

#[test]
fn a_replaced_key_stays_where_the_old_one_was_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &[]);
    let v = tufa(&proj, &["--json", "key", "replace", "snapshot"]).json();
    let req = read_json(&proj.join(v["request"].as_str().unwrap()));
    let location = &req["project_keys"]["snapshot"]["location"];
    assert!(
        location.get("file").is_some(),
        "a file key stays a file: {location}"
    );
}
