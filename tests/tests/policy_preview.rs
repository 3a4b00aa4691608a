//! The publisher's "what clients download" (the engine's
//! `policy::client_downloads`, behind the app's preview and dashboard and
//! `tufa add --plan` / `tufa status`) is what real clients plan: for a
//! repository with a required release, a pre-release and a patch too large
//! to use, every older version's row equals `tufa update --check-only
//! --json` of an install of that version over HTTP.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use tufa_tests::server::Server;
use tufa_tests::*;

/// Incompressible pseudo-random bytes, so that small changes give small
/// patches and a new binary gives a patch as large as the archive.
fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// A bundle whose 200 KB binary comes from `seed`, with `edits` small
/// changes in it.
fn bundle(root: &Path, version: &str, seed: u64, edits: usize) -> PathBuf {
    let dir = root.join(format!("bundle-{version}"));
    let mut bin = noise(seed, 200_000);
    for i in 0..edits {
        let at = 10_000 * (i + 1);
        bin[at..at + 500].copy_from_slice(&noise(100 + i as u64, 500));
    }
    write_bundle(&dir, &[("app.bin", &bin), ("VERSION", version.as_bytes())]);
    dir
}

/// `--pre` for a client following `channel` (as the preview assumes: the
/// channel of its own version).
fn pre_flag(channel: &str) -> Option<&'static str> {
    match channel {
        "alpha" => Some("a"),
        "beta" => Some("b"),
        "rc" => Some("rc"),
        "stable" => None,
        other => panic!("unknown channel {other}"),
    }
}

/// The part of a preview row a client's plan decides.
fn row_decision(row: &Value) -> Value {
    json!({
        "to_version": row["to_version"],
        "method": row["method"],
        "files": row["files"],
        "bytes": row["bytes"],
    })
}

/// The same fields from `tufa update --check-only --json`.
fn plan_decision(check: &Value) -> Value {
    let update = &check["update"];
    if update.is_null() {
        return json!({ "to_version": null, "method": null, "files": [], "bytes": 0 });
    }
    let files: Vec<Value> = update["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["name"].clone())
        .collect();
    json!({
        "to_version": update["version"],
        "method": update["method"],
        "files": files,
        "bytes": update["total_bytes"],
    })
}

#[test]
fn preview_of_what_clients_download_equals_what_clients_plan() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &[]);
    // 1.1 is required; 1.2b1 is a pre-release; 1.2 replaces the binary, so
    // any chain through its patch loses to the archive.
    let releases: [(&str, u64, usize, bool); 4] = [
        ("1.0", 7, 0, false),
        ("1.1", 7, 1, true),
        ("1.2b1", 7, 2, false),
        ("1.2", 99, 0, false),
    ];
    for (v, seed, edits, required) in releases {
        let b = bundle(tmp.path(), v, seed, edits);
        let mut args = vec!["--json", "add", b.to_str().unwrap(), "--version", v];
        if required {
            args.push("--required");
        }
        tufa(&proj, &args).json();
    }
    // The preview of the next release, a beta: the app's plan_release.
    let next = bundle(tmp.path(), "1.3b1", 99, 1);
    let next = next.to_str().unwrap();
    let plan = tufa(
        &proj,
        &["--json", "add", next, "--version", "1.3b1", "--plan"],
    )
    .json();
    tufa(&proj, &["--json", "add", next, "--version", "1.3b1"]).json();
    // The dashboard's view of the published repository: the app's status.
    let status = tufa(&proj, &["--json", "status"]).json();
    assert_eq!(
        plan["clients"], status["clients"],
        "the preview before publishing and the status after agree"
    );
    let rows = status["clients"].as_array().expect("clients");
    let from: Vec<&str> = rows
        .iter()
        .map(|r| r["from_version"].as_str().unwrap())
        .collect();
    assert_eq!(from, ["1.0", "1.1", "1.2b1", "1.2"]);

    // The scenario covers each rule, so that agreement below is not vacuous.
    let by = |v: &str| rows.iter().find(|r| r["from_version"] == v).unwrap();
    assert_eq!(by("1.0")["to_version"], "1.1", "stops at the required 1.1");
    assert_eq!(by("1.0")["stops_first_at"], "1.1");
    assert_eq!(by("1.0")["method"], "patch");
    assert_eq!(by("1.0")["files"], json!(["demo-1.1.patch"]));
    assert_eq!(by("1.1")["to_version"], "1.2", "stable clients skip betas");
    assert_eq!(
        by("1.1")["method"],
        "full",
        "the chain through 1.2 is too big"
    );
    assert!(
        by("1.1")["patch_chain_bytes"].as_u64().unwrap()
            > by("1.1")["patch_limit_bytes"].as_u64().unwrap()
    );
    assert_eq!(by("1.2b1")["channel"], "beta");
    assert_eq!(
        by("1.2b1")["to_version"],
        "1.3b1",
        "beta clients get the beta"
    );
    assert_eq!(
        by("1.2")["to_version"],
        Value::Null,
        "nothing newer on stable"
    );
    assert_eq!(by("1.2")["method"], Value::Null);

    // Every older version, installed with its tar cached (as the preview
    // assumes), plans exactly its row.
    let server = Server::start(proj.join("repository"));
    for row in rows {
        let v = row["from_version"].as_str().unwrap();
        let client = ClientDirs::install(
            &tmp.path().join(format!("client-{v}")),
            &proj,
            Some(v),
            true,
        );
        let mut extra = vec!["--check-only"];
        if let Some(pre) = pre_flag(row["channel"].as_str().unwrap()) {
            extra.extend(["--pre", pre]);
        }
        let check = client.update(&proj, v, &server.url, &extra).json();
        assert_eq!(
            row_decision(row),
            plan_decision(&check),
            "from {v}: the preview's row (left) and the client's plan (right)"
        );
    }
}
