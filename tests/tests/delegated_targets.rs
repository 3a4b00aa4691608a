//! A repository whose releases live in a delegated targets role (a CI
//! runner's key, say) is updated from by `tufa update`: the client finds
//! them through its delegation walk, and refuses them when the delegated
//! role is not signed by the key the top-level targets trust for it.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::Path;
use tufa_tests::server::Server;
use tufa_tests::*;

fn canonical(v: &Value) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut ser =
        serde_json::Serializer::with_formatter(&mut buf, olpc_cjson::CanonicalFormatter::new());
    serde::Serialize::serialize(v, &mut ser).expect("canonical JSON");
    buf
}

/// A new ed25519 key: its PEM, its TUF key object and key id.
fn new_key() -> (String, Value, String) {
    let pem_text = tufa::publisher::keys::generate_ed25519_pem().expect("key");
    let der = pem::parse(&pem_text).expect("pem");
    let pair = aws_lc_rs::signature::Ed25519KeyPair::from_pkcs8(der.contents()).expect("ed25519");
    let public = aws_lc_rs::signature::KeyPair::public_key(&pair);
    let key = json!({
        "keytype": "ed25519",
        "scheme": "ed25519",
        "keyval": { "public": hex::encode(public.as_ref()) },
    });
    let keyid = hex::encode(Sha256::digest(canonical(&key)));
    (pem_text, key, keyid)
}

/// Moves every target of the project's repository into the delegated role
/// `role`, signed by `signer` (the key the delegation names is
/// `trusted`), and re-signs targets, snapshot and timestamp.
fn delegate_releases(proj: &Path, role: &str, trusted: &(String, Value, String), signer: &str) {
    let md = proj.join("repository/metadata");
    let targets = read_json(&md.join("targets.json"));
    let mut delegated = json!({
        "signed": {
            "_type": "targets",
            "spec_version": "1.0.0",
            "version": 1,
            "expires": targets["signed"]["expires"],
            "targets": targets["signed"]["targets"],
        },
        "signatures": [],
    });
    tufa_tests::resign::sign_with_pem(signer, &trusted.2, &mut delegated);
    let bytes = serde_json::to_vec_pretty(&delegated).unwrap();
    std::fs::write(md.join(format!("{role}.json")), &bytes).unwrap();
    // The snapshot lists the new role; `edit_targets` re-signs it.
    let mut snapshot = read_json(&md.join("snapshot.json"));
    snapshot["signed"]["meta"][format!("{role}.json")] = json!({
        "version": 1,
        "length": bytes.len(),
        "hashes": { "sha256": hex::encode(Sha256::digest(&bytes)) },
    });
    std::fs::write(
        md.join("snapshot.json"),
        serde_json::to_vec_pretty(&snapshot).unwrap(),
    )
    .unwrap();
    let (key, keyid) = (trusted.1.clone(), trusted.2.clone());
    let role = role.to_string();
    tufa_tests::resign::edit_targets(proj, move |signed| {
        signed["targets"] = json!({});
        signed["delegations"] = json!({
            "keys": { keyid.clone(): key },
            "roles": [{
                "name": role,
                "keyids": [keyid],
                "threshold": 1,
                "terminating": true,
                "paths": ["demo-*"],
            }],
        });
    });
}

fn publish_two(tmp: &Path) -> std::path::PathBuf {
    let proj = init_project(tmp, &[]);
    for (v, byte) in [("1.0", 1u8), ("1.1", 2u8)] {
        let b = tmp.join(format!("b{v}"));
        let mut content: Vec<u8> = (0..60_000u32).map(|i| (i * 7 % 251) as u8).collect();
        content[100] = byte;
        write_bundle(&b, &[("app.bin", &content), ("VERSION", v.as_bytes())]);
        add_release(&proj, b.to_str().unwrap(), v);
    }
    proj
}

#[test]
fn releases_in_a_delegated_role_are_found_and_installed() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = publish_two(tmp.path());
    let expected = tmp.path().join("expected-1.1");
    unpack_release(&proj.join("repository/targets/demo-1.1.tar.gz"), &expected);
    let ci_key = new_key();
    delegate_releases(&proj, "linux-ci", &ci_key, &ci_key.0);
    let top = read_json(&proj.join("repository/metadata/targets.json"));
    assert_eq!(
        top["signed"]["targets"],
        json!({}),
        "no release left at the top"
    );

    let server = Server::start(proj.join("repository"));
    let client = ClientDirs::install(&tmp.path().join("client"), &proj, Some("1.0"), true);
    let v = client.update(tmp.path(), "1.0", &server.url, &[]).json();
    assert_eq!(v["update"]["version"], "1.1", "{v}");
    assert_eq!(v["update"]["method"], "patch", "{v}");
    assert_eq!(fingerprint(&client.install), fingerprint(&expected));
    assert!(
        server
            .log()
            .contains(&"GET /metadata/linux-ci.json".to_string()),
        "{:?}",
        server.log()
    );
    // The verified delegated role is kept with the other trusted metadata.
    assert!(client.cache.join("tuf/linux-ci.json").exists());

    // Up to date now: a second check finds nothing to do.
    let again = client
        .update(tmp.path(), "1.1", &server.url, &["--check-only"])
        .json();
    assert!(again["update"].is_null(), "{again}");
}

#[test]
fn a_delegated_role_signed_by_another_key_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = publish_two(tmp.path());
    let trusted = new_key();
    let stranger = new_key();
    // The delegation names `trusted`; the role is signed by `stranger`.
    delegate_releases(&proj, "linux-ci", &trusted, &stranger.0);
    let server = Server::start(proj.join("repository"));
    let client = ClientDirs::install(&tmp.path().join("client"), &proj, Some("1.0"), true);
    let before = fingerprint(&client.install);
    let run = client.update(tmp.path(), "1.0", &server.url, &[]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    let v: Value = serde_json::from_str(&run.stdout).expect("json error");
    assert_eq!(v["error"]["code"], "verification_failed", "{v}");
    assert_eq!(fingerprint(&client.install), before, "nothing installed");
}
