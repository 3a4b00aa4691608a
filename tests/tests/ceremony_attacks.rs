//! Attacks on the offline root ceremony: a signing request travels by mail
//! or shared drive, so whoever can edit it in transit is the attacker.
//! Each test performs the edit and checks that status, sign and publish
//! refuse it, or that the custodian is shown exactly what changes.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tufa::publisher::ceremony::SigningRequest;
use tufa_tests::resign::sign_with_pem;
use tufa_tests::*;

/// A project with one release and an unsigned refresh request.
fn project_with_request(tmp: &Path) -> (PathBuf, PathBuf) {
    let proj = init_project(tmp, &[]);
    let b = tmp.join("b1");
    write_bundle(&b, &[("app.bin", b"one"), ("VERSION", b"1.0")]);
    add_release(&proj, b.to_str().unwrap(), "1.0");
    let v = tufa(
        &proj,
        &["--json", "root", "request", "--no-sign", "--expires", "300"],
    )
    .json();
    let req = PathBuf::from(v["request"].as_str().unwrap());
    (proj, req)
}

fn canonical(v: &Value) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut ser =
        serde_json::Serializer::with_formatter(&mut buf, olpc_cjson::CanonicalFormatter::new());
    serde::Serialize::serialize(v, &mut ser).unwrap();
    buf
}

/// An attacker's ed25519 key: (PEM, TUF key JSON, key id).
fn attacker_key() -> (String, Value, String) {
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let doc = aws_lc_rs::signature::Ed25519KeyPair::generate_pkcs8(&rng).unwrap();
    let pair = aws_lc_rs::signature::Ed25519KeyPair::from_pkcs8(doc.as_ref()).unwrap();
    use aws_lc_rs::signature::KeyPair;
    let key = json!({
        "keytype": "ed25519",
        "scheme": "ed25519",
        "keyval": { "public": hex::encode(pair.public_key().as_ref()) }
    });
    let id = hex::encode(Sha256::digest(canonical(&key)));
    let pem_text = pem::encode(&pem::Pem::new("PRIVATE KEY", doc.as_ref().to_vec()));
    (pem_text, key, id)
}

fn add_key_to_roles(root: &mut Value, key: &Value, id: &str, roles: &[&str]) {
    root["signed"]["keys"][id] = key.clone();
    for r in roles {
        root["signed"]["roles"][r]["keyids"]
            .as_array_mut()
            .unwrap()
            .push(json!(id));
    }
}

/// The subtle edit: the attacker's key joins every role of both roots, the
/// old root is re-signed by that key alone (its own root threshold is met),
/// `base_sha256` is recomputed and the project settings follow, so the
/// file is consistent in itself. Returns the attacker's key id.
fn forge_old_root(v: &mut Value) -> String {
    let (pem_text, key, id) = attacker_key();
    let roles = ["root", "targets", "snapshot", "timestamp"];
    add_key_to_roles(&mut v["old_root"], &key, &id, &roles);
    add_key_to_roles(&mut v["new_root"], &key, &id, &roles);
    sign_with_pem(&pem_text, &id, &mut v["old_root"]);
    v["base_sha256"] = json!(hex::encode(Sha256::digest(canonical(&v["old_root"]))));
    v["project_keys"]["evil"] =
        json!({ "keyid": id, "location": { "file": "keys/evil.pem" }, "owner": null });
    for r in roles {
        v["project_roles"][r]["keys"]
            .as_array_mut()
            .unwrap()
            .push(json!("evil"));
    }
    id
}

/// `tufa root sign REQUEST --yes --key keys/root.pem` in the project.
fn sign_with_root_key(proj: &Path, request: &Path) -> Run {
    tufa(
        proj,
        &[
            "--json",
            "root",
            "sign",
            "--yes",
            request.to_str().unwrap(),
            "--key",
            proj.join("keys/root.pem").to_str().unwrap(),
        ],
    )
}

fn write(path: &Path, v: &Value) {
    std::fs::write(path, serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

/// The audit's attack: the attacker's key is added to targets, snapshot
/// and timestamp in *both* roots (so a summary computed from the file says
/// "no changes") and the old root's signatures are stripped.
#[test]
fn request_edited_in_transit_is_refused_by_status_sign_and_publish() {
    let tmp = tempfile::tempdir().unwrap();
    let (proj, req) = project_with_request(tmp.path());
    let root_before = std::fs::read(proj.join("repository/metadata/root.json")).unwrap();
    let mut v = read_json(&req);
    let (_, key, id) = attacker_key();
    let roles = ["targets", "snapshot", "timestamp"];
    add_key_to_roles(&mut v["old_root"], &key, &id, &roles);
    add_key_to_roles(&mut v["new_root"], &key, &id, &roles);
    v["old_root"]["signatures"] = json!([]);
    v["key_names"][&id] = json!("targets");
    write(&req, &v);
    let edited = std::fs::read(&req).unwrap();

    let status = tufa(&proj, &["--json", "root", "status", req.to_str().unwrap()]);
    assert_eq!(
        status.error_code(),
        "invalid_signing_request",
        "{status:#?}"
    );
    assert!(status.stdout.contains("Do not sign it"), "{status:#?}");

    let sign = sign_with_root_key(&proj, &req);
    assert_eq!(sign.error_code(), "invalid_signing_request", "{sign:#?}");
    assert_eq!(std::fs::read(&req).unwrap(), edited, "nothing was signed");

    let publish = tufa(&proj, &["--json", "root", "publish", req.to_str().unwrap()]);
    assert_eq!(publish.error_code(), "invalid_signing_request");
    assert_eq!(
        std::fs::read(proj.join("repository/metadata/root.json")).unwrap(),
        root_before
    );
    assert!(!proj.join("repository/metadata/2.root.json").exists());
}

/// A subtler edit: the old root is replaced by one the attacker signed
/// (their key in every role, the custodian's root key still listed) and
/// `base_sha256` recomputed, so the file is consistent in itself and the
/// summary shows no change. The custodian signs; publishing must still
/// refuse, because that old root is not the repository's.
#[test]
fn request_with_a_foreign_old_root_is_not_published() {
    let tmp = tempfile::tempdir().unwrap();
    let (proj, req) = project_with_request(tmp.path());
    let mut v = read_json(&req);
    let id = forge_old_root(&mut v);
    v["key_names"][&id] = json!("root");
    write(&req, &v);

    // Consistent in itself: the custodian sees no key change, and is told
    // the name is claimed twice.
    let status = tufa(&proj, &["--json", "root", "status", req.to_str().unwrap()]).json();
    let summary = status["summary"].to_string();
    assert!(
        summary.contains("No key, threshold or other changes"),
        "{summary}"
    );
    let sign = sign_with_root_key(&proj, &req).json();
    assert_eq!(sign["added"], 1);
    let publish = tufa(&proj, &["--json", "root", "publish", req.to_str().unwrap()]);
    assert_eq!(
        publish.error_code(),
        "request_not_for_this_root",
        "{publish:#?}"
    );
    assert!(!proj.join("repository/metadata/2.root.json").exists());
}

/// A key added to the new root only is what a real key change looks like:
/// it must be named in the summary, whatever the request calls it.
#[test]
fn every_difference_between_the_roots_is_in_the_summary() {
    let tmp = tempfile::tempdir().unwrap();
    let (_proj, req) = project_with_request(tmp.path());
    let base = read_json(&req);
    let (_, key, id) = attacker_key();
    let summary = |edit: &dyn Fn(&mut Value)| -> String {
        let mut v = base.clone();
        edit(&mut v["new_root"]["signed"]);
        let r: SigningRequest = serde_json::from_value(v).unwrap();
        r.summary().join("\n")
    };
    let unchanged = summary(&|_| {});
    assert!(
        unchanged.contains("No key, threshold or other changes"),
        "{unchanged}"
    );
    type Edit<'a> = Box<dyn Fn(&mut Value) + 'a>;
    let cases: Vec<(&str, Edit)> = vec![
        (
            "to timestamp.",
            Box::new(|s: &mut Value| {
                s["keys"][&id] = key.clone();
                s["roles"]["timestamp"]["keyids"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!(id));
            }),
        ),
        (
            "Removes key 'snapshot'",
            Box::new(|s: &mut Value| s["roles"]["snapshot"]["keyids"] = json!([])),
        ),
        (
            "Changes the targets threshold from 1 to 2",
            Box::new(|s: &mut Value| s["roles"]["targets"]["threshold"] = json!(2)),
        ),
        (
            "Expiry changes from",
            Box::new(|s: &mut Value| s["expires"] = json!("2031-01-01T00:00:00Z")),
        ),
        (
            "Consistent snapshots are turned on",
            Box::new(|s: &mut Value| s["consistent_snapshot"] = json!(true)),
        ),
        (
            "TUF specification version changes from 1.0.0 to 1.0.31",
            Box::new(|s: &mut Value| s["spec_version"] = json!("1.0.31")),
        ),
        (
            "to the root's key list.",
            Box::new(|s: &mut Value| s["keys"][&id] = key.clone()),
        ),
        (
            "Adds field `root.x-mirror`",
            Box::new(|s: &mut Value| s["x-mirror"] = json!("http://evil.example/")),
        ),
        (
            "Adds field `roles.targets.paths`",
            Box::new(|s: &mut Value| s["roles"]["targets"]["paths"] = json!(["*"])),
        ),
    ];
    for (expected, edit) in cases {
        let text = summary(edit.as_ref());
        assert!(text.contains(expected), "expected '{expected}' in:\n{text}");
        if !expected.starts_with("Expiry") {
            assert!(!text.contains("No key, threshold"), "{text}");
        }
    }
    // The attacker's key shows with the start of its id even when the
    // request names it like the custodian's key.
    let mut v = base.clone();
    v["new_root"]["signed"]["keys"][&id] = key.clone();
    v["new_root"]["signed"]["roles"]["root"]["keyids"]
        .as_array_mut()
        .unwrap()
        .push(json!(id));
    v["key_names"][&id] = json!("root");
    let r: SigningRequest = serde_json::from_value(v).unwrap();
    let text = r.summary().join("\n");
    assert!(text.contains(&id[..12]), "{text}");
    assert!(text.contains("another key has the same name"), "{text}");
}

/// Names holding terminal escapes are shown without them, a key id too
/// short for the display prefix does not crash `root status`, and signing
/// without a terminal needs an explicit confirmation.
#[test]
fn hostile_text_short_ids_and_unconfirmed_signing() {
    let tmp = tempfile::tempdir().unwrap();
    let (proj, req) = project_with_request(tmp.path());
    let mut v = read_json(&req);
    let root_id = v["new_root"]["signed"]["roles"]["root"]["keyids"][0]
        .as_str()
        .unwrap()
        .to_string();
    // Clears the screen and prints a reassuring line, then a short key id
    // in the targets role (and the project settings, to stay consistent).
    v["key_names"][&root_id] = json!("root\u{1b}[2J\u{1b}[HNo changes\u{7}");
    v["new_root"]["signed"]["roles"]["targets"]["keyids"]
        .as_array_mut()
        .unwrap()
        .push(json!("ab"));
    v["project_keys"]["short"] =
        json!({ "keyid": "ab", "location": { "env": "X" }, "owner": null });
    v["project_roles"]["targets"]["keys"]
        .as_array_mut()
        .unwrap()
        .push(json!("short"));
    write(&req, &v);
    let status = tufa(&proj, &["root", "status", req.to_str().unwrap()]);
    assert_eq!(status.code, Some(0), "{status:#?}");
    assert!(!status.stdout.contains('\u{1b}'), "{status:#?}");
    assert!(!status.stdout.contains('\u{7}'), "{status:#?}");
    assert!(
        status
            .stdout
            .contains("Adds an unnamed key (ab…) to targets."),
        "{status:#?}"
    );
    assert!(status.stdout.contains("Fingerprint: "), "{status:#?}");

    // No terminal, no --yes: nothing is signed, and the way to review is named.
    let (proj, req) = project_with_request(&tmp.path().join("second"));
    let before = std::fs::read(&req).unwrap();
    let key = proj.join("keys/root.pem");
    let unconfirmed = tufa(
        &proj,
        &[
            "root",
            "sign",
            req.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
        ],
    );
    assert!(
        unconfirmed
            .error()
            .contains("not signing without confirmation"),
        "{unconfirmed:#?}"
    );
    assert_eq!(std::fs::read(&req).unwrap(), before);
    // A fingerprint that is not this request's is refused too.
    let wrong = tufa(
        &proj,
        &[
            "--json",
            "root",
            "sign",
            req.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            "--expect-fingerprint",
            "0000 0000 0000 0000 0000",
        ],
    );
    assert_eq!(wrong.error_code(), "invalid_signing_request");
    let fp = tufa(&proj, &["--json", "root", "status", req.to_str().unwrap()]).json()
        ["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    let ok = tufa(
        &proj,
        &[
            "--json",
            "root",
            "sign",
            req.to_str().unwrap(),
            "--key",
            key.to_str().unwrap(),
            "--expect-fingerprint",
            &fp.to_lowercase(),
        ],
    )
    .json();
    assert_eq!(ok["added"], 1);
    assert_eq!(ok["status"]["complete"], true);
}

/// Copies travel; the project's own request file does not. Settings edited
/// in a copy (expiry periods, extra keys) are not published, and a copy
/// whose old root was swapped to show custodians "no changes" while its
/// new root adds the attacker's root key is refused even after the real
/// old root is put back.
#[test]
fn only_the_change_the_project_proposed_is_published() {
    let tmp = tempfile::tempdir().unwrap();
    let (proj, req) = project_with_request(tmp.path());
    let own = read_json(&req);

    // 1. Hidden settings in a copy.
    let copy = tmp.path().join("copy.json");
    let mut v = own.clone();
    for r in ["root", "targets", "snapshot", "timestamp"] {
        v["project_roles"][r]["expires_days"] = json!(4_294_967_295u64);
    }
    v["project_keys"]["evilkey"] =
        json!({ "keyid": "00", "location": { "file": "/tmp/attacker.pem" }, "owner": null });
    write(&copy, &v);
    let fp = |p: &Path| {
        tufa(&proj, &["--json", "root", "status", p.to_str().unwrap()]).json()["fingerprint"]
            .clone()
    };
    assert_eq!(
        fp(&copy),
        fp(&req),
        "the settings are not what custodians sign"
    );
    let sign = |p: &Path| sign_with_root_key(&proj, p).json();
    sign(&copy);
    // 2. A planted signature under the root key's id does not block it.
    let planted = tmp.path().join("planted.json");
    let mut p = own.clone();
    let root_id = p["new_root"]["signed"]["roles"]["root"]["keyids"][0].clone();
    p["new_root"]["signatures"] = json!([{ "keyid": root_id, "sig": "00".repeat(64) }]);
    write(&planted, &p);
    let publish_both = tufa(
        &proj,
        &[
            "--json",
            "root",
            "publish",
            planted.to_str().unwrap(),
            copy.to_str().unwrap(),
        ],
    )
    .json();
    assert_eq!(publish_both["published"], true, "{publish_both}");
    let toml = std::fs::read_to_string(proj.join("tufa.toml")).unwrap();
    assert!(!toml.contains("evilkey"), "{toml}");
    assert!(!toml.contains("4294967295"), "{toml}");

    // 3. Old root swapped for custodians, then swapped back.
    let v2 = tufa(&proj, &["--json", "root", "request", "--no-sign"]).json();
    let req2 = PathBuf::from(v2["request"].as_str().unwrap());
    let own2 = read_json(&req2);
    let mut fake = own2.clone();
    forge_old_root(&mut fake);
    let sent = tmp.path().join("sent.json");
    write(&sent, &fake);
    let shown = tufa(&proj, &["--json", "root", "status", sent.to_str().unwrap()]).json();
    assert!(
        shown["summary"].to_string().contains("No key, threshold"),
        "{shown}"
    );
    let signed = sign(&sent);
    assert_eq!(signed["added"], 1);
    let mut returned = read_json(&sent);
    returned["old_root"] = own2["old_root"].clone();
    returned["base_sha256"] = own2["base_sha256"].clone();
    write(&sent, &returned);
    let publish = tufa(
        &proj,
        &["--json", "root", "publish", sent.to_str().unwrap()],
    );
    assert_eq!(
        publish.error_code(),
        "request_not_for_this_root",
        "{publish:#?}"
    );
    assert!(publish
        .stdout
        .contains("differs from the one this project proposed"));
}

/// A second root change joins the pending request instead of silently
/// replacing it (a revoke was once lost that way).
#[test]
fn a_second_change_joins_the_pending_request() {
    let tmp = tempfile::tempdir().unwrap();
    let (proj, _) = project_with_request(tmp.path());
    tufa(
        &proj,
        &[
            "--json",
            "key",
            "add",
            "targets",
            "--name",
            "targets-2",
            "--key-store",
            "file",
        ],
    )
    .json();
    let v = tufa(&proj, &["--json", "threshold", "targets", "2"]).json();
    let summary = v["status"]["summary"].to_string();
    assert!(summary.contains("Adds key 'targets-2'"), "{summary}");
    assert!(
        summary.contains("Changes the targets threshold from 1 to 2"),
        "{summary}"
    );
    let out = tufa(
        &proj,
        &["--json", "root", "publish", v["request"].as_str().unwrap()],
    )
    .json();
    assert_eq!(out["published"], true, "{out}");
    let root = read_json(&proj.join("repository/metadata/2.root.json"));
    assert_eq!(root["signed"]["roles"]["targets"]["threshold"], 2);
    assert_eq!(
        root["signed"]["roles"]["targets"]["keyids"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}
