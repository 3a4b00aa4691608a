//! Re-signing a repository after a test edited it by hand, with the
//! project's own keys: how the tests build *validly signed* hostile
//! repositories (a wrong tar_hash, a malicious archive), which is what an
//! attacker who stole the online keys could serve.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::Path;
use tufa::publisher::project::{KeyLocation, Project};

fn canonical(v: &Value) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut ser =
        serde_json::Serializer::with_formatter(&mut buf, olpc_cjson::CanonicalFormatter::new());
    serde::Serialize::serialize(v, &mut ser).expect("canonical JSON");
    buf
}

/// Signs `doc["signed"]` with the project's key for `role`, replacing the
/// signatures.
pub fn sign_with_role_key(proj: &Path, role: &str, doc: &mut Value) {
    let project = Project::load(proj).expect("project");
    let name = project
        .roles
        .iter()
        .find(|(r, _)| r.as_str() == role)
        .expect("role")
        .1
        .keys[0]
        .clone();
    let key = &project.keys[&name];
    let KeyLocation::File(rel) = &key.location else {
        panic!("file key expected")
    };
    sign_with_pem(
        &std::fs::read_to_string(proj.join(rel)).expect("key"),
        &key.keyid,
        doc,
    );
}

/// Signs `doc["signed"]` with a PEM key whose id is `keyid`.
pub fn sign_with_pem(pem_text: &str, keyid: &str, doc: &mut Value) {
    let der = pem::parse(pem_text).expect("pem");
    let pair = aws_lc_rs::signature::Ed25519KeyPair::from_pkcs8(der.contents()).expect("ed25519");
    let sig = pair.sign(&canonical(&doc["signed"]));
    doc["signatures"] = json!([{ "keyid": keyid, "sig": hex::encode(sig.as_ref()) }]);
}

fn read(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json")
}

fn write(path: &Path, v: &Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(v).expect("json");
    bytes.push(b'\n');
    std::fs::write(path, &bytes).expect("write");
    bytes
}

fn bump(v: &mut Value) {
    let n = v["signed"]["version"].as_u64().expect("version");
    v["signed"]["version"] = json!(n + 1);
}

fn pin(bytes: &[u8], version: &Value) -> Value {
    json!({ "version": version, "length": bytes.len(), "hashes": { "sha256": hex::encode(Sha256::digest(bytes)) } })
}

/// Lets `edit` change targets.json's `signed` part, then re-signs targets,
/// snapshot and timestamp (new versions) with the project's keys.
pub fn edit_targets(proj: &Path, edit: impl FnOnce(&mut Value)) {
    let md = proj.join("repository/metadata");
    let mut targets = read(&md.join("targets.json"));
    edit(&mut targets["signed"]);
    bump(&mut targets);
    sign_with_role_key(proj, "targets", &mut targets);
    let targets_bytes = write(&md.join("targets.json"), &targets);
    let mut snapshot = read(&md.join("snapshot.json"));
    snapshot["signed"]["meta"]["targets.json"] = pin(&targets_bytes, &targets["signed"]["version"]);
    bump(&mut snapshot);
    sign_with_role_key(proj, "snapshot", &mut snapshot);
    let snapshot_bytes = write(&md.join("snapshot.json"), &snapshot);
    let mut timestamp = read(&md.join("timestamp.json"));
    timestamp["signed"]["meta"]["snapshot.json"] =
        pin(&snapshot_bytes, &snapshot["signed"]["version"]);
    bump(&mut timestamp);
    sign_with_role_key(proj, "timestamp", &mut timestamp);
    write(&md.join("timestamp.json"), &timestamp);
}

/// Replaces target file `name` by `bytes` and lists it with their length
/// and hash, validly signed.
pub fn replace_target(proj: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(proj.join("repository/targets").join(name), bytes).expect("write target");
    let (len, hash) = (bytes.len(), hex::encode(Sha256::digest(bytes)));
    edit_targets(proj, |signed| {
        signed["targets"][name]["length"] = json!(len);
        signed["targets"][name]["hashes"]["sha256"] = json!(hash);
    });
}
