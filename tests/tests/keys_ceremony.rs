//! Key custody and the offline root ceremony, against the real OS keyring
//! (a Secret Service started by scripts/with-keyring.sh, as in CI).

use serde_json::Value;
use std::path::{Path, PathBuf};
use tufa_tests::server::{Fault, Server};
use tufa_tests::*;

fn require_keyring() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "these tests use the real OS keyring: run them under `bash scripts/with-keyring.sh` (scripts/test.sh does)"
    );
    tufa::publisher::keys::keyring_available().expect("the Secret Service answers");
}

fn bundle(tmp: &Path, v: &str) -> String {
    let dir = tmp.join(format!("b-{v}"));
    let mut content = vec![0u8; 30_000];
    let mut x = 99u32;
    for b in content.iter_mut() {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *b = x as u8;
    }
    content[1000] = v.len() as u8;
    write_bundle(&dir, &[("app.bin", &content), ("VERSION", v.as_bytes())]);
    dir.to_str().unwrap().to_string()
}

fn add(proj: &Path, tmp: &Path, v: &str) {
    add_release(proj, &bundle(tmp, v), v);
}

/// Where key `name` lives, relative to the project (file keys).
fn key_file(proj: &Path, name: &str) -> String {
    let keys = tufa(proj, &["--json", "key", "list"]).json();
    let k = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == name)
        .unwrap();
    k["location"]
        .as_str()
        .unwrap()
        .trim_start_matches("file ")
        .to_string()
}

fn request_path(v: &Value) -> PathBuf {
    PathBuf::from(v["request"].as_str().unwrap())
}

fn update_client(proj: &Path, server: &Server, client: &Path, from: &str) -> Run {
    let dirs = if client.join("install").exists() {
        ClientDirs {
            install: client.join("install"),
            meta: client.join("meta"),
            cache: client.join("cache"),
        }
    } else {
        ClientDirs::install(client, proj, Some(from), false)
    };
    dirs.update(proj, from, &server.url, &[])
}

#[test]
fn keyring_keys_are_stored_loaded_used_and_deleted() {
    require_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let proj = tmp.path().join("proj");
    tufa(
        &proj,
        &["--json", "init", "--app", "demo", "--key-store", "keyring"],
    )
    .json();
    let toml = std::fs::read_to_string(proj.join("tufa.toml")).unwrap();
    assert!(toml.contains("[keys.targets.location.keyring]"), "{toml}");
    assert!(!proj.join("keys").exists(), "no key files");
    add(&proj, tmp.path(), "1.0");
    let keys = tufa(&proj, &["--json", "key", "list"]).json();
    assert!(
        keys.as_array()
            .unwrap()
            .iter()
            .all(|k| k["available"] == true),
        "{keys}"
    );
    let entry = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "targets")
        .unwrap()["location"]
        .as_str()
        .unwrap()
        .trim_start_matches("OS keyring entry ")
        .to_string();
    assert!(entry.starts_with("demo:targets:"));
    // Out of the keyring into a file: the keyring entry is gone.
    tufa(&proj, &["--json", "key", "move", "targets", "--to", "file"]).json();
    let gone = std::process::Command::new("secret-tool")
        .args(["lookup", "service", "tufa", "username", &entry])
        .output()
        .unwrap();
    assert!(gone.stdout.is_empty(), "keyring entry still there");
    add(&proj, tmp.path(), "1.1");
    // And back.
    tufa(
        &proj,
        &["--json", "key", "move", "targets", "--to", "keyring"],
    )
    .json();
    assert!(!proj.join("keys/targets.pem").exists());
    add(&proj, tmp.path(), "1.2");
    // Secrets never show in errors: a wrong key in the override variable.
    let pem = tufa::publisher::keys::generate_ed25519_pem().unwrap();
    let bad = tufa_env(
        &proj,
        &["--json", "sign", "timestamp"],
        &[("TUFA_KEY_TIMESTAMP", &pem)],
    );
    assert_eq!(bad.code, Some(1));
    let body = pem.lines().nth(1).unwrap();
    assert!(
        !bad.stdout.contains(body) && !bad.stderr.contains(body),
        "secret leaked: {bad:#?}"
    );
}

#[test]
fn two_of_three_root_in_three_sources_signed_in_parallel_copies() {
    require_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &["--threshold", "root=2"]);
    add(&proj, tmp.path(), "1.0");
    // A third root key, in the keyring.
    let v = tufa(
        &proj,
        &[
            "--json",
            "key",
            "add",
            "root",
            "--name",
            "root-3",
            "--key-store",
            "keyring",
        ],
    )
    .json();
    assert!(v["status"]["complete"].as_bool().unwrap(), "{v}");
    assert!(
        v["status"]["summary"]
            .to_string()
            .contains("Adds key 'root-3'"),
        "{v}"
    );
    tufa(
        &proj,
        &["--json", "root", "publish", v["request"].as_str().unwrap()],
    )
    .json();
    // root-2 moves to a passphrase-encrypted file.
    tufa_env(
        &proj,
        &[
            "--json",
            "key",
            "move",
            "root-2",
            "--to",
            "file",
            "--encrypt",
        ],
        &[("TUFA_NEW_PASSPHRASE", "s3cret-root-2")],
    )
    .json();
    let root2_path = proj.join(key_file(&proj, "root-2"));
    let root2 = std::fs::read_to_string(&root2_path).unwrap();
    assert!(root2.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));

    // A ceremony: the request goes out unsigned, in two copies.
    let v = tufa(
        &proj,
        &["--json", "root", "request", "--expires", "400", "--no-sign"],
    )
    .json();
    let req = request_path(&v);
    let (a, b) = (
        tmp.path().join("copy-a.json"),
        tmp.path().join("copy-b.json"),
    );
    std::fs::copy(&req, &a).unwrap();
    std::fs::copy(&req, &b).unwrap();
    // Custodian 1 signs copy A with a plain key file, offline: no project.
    let elsewhere = tmp.path().join("custodian");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let s1 = tufa(
        &elsewhere,
        &[
            "--json",
            "root",
            "sign",
            "--yes",
            a.to_str().unwrap(),
            "--key",
            proj.join("keys/root.pem").to_str().unwrap(),
        ],
    )
    .json();
    assert_eq!(s1["added"], 1);
    // Custodian 3 signs copy B with the keyring key.
    let entry = tufa(&proj, &["--json", "key", "list"])
        .json()
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "root-3")
        .unwrap()["location"]
        .as_str()
        .unwrap()
        .trim_start_matches("OS keyring entry ")
        .to_string();
    tufa(
        &elsewhere,
        &[
            "--json",
            "root",
            "sign",
            "--yes",
            b.to_str().unwrap(),
            "--keyring-entry",
            &entry,
        ],
    )
    .json();
    // Each copy alone is short; merged they pass both thresholds.
    let alone = tufa(&proj, &["--json", "root", "status", a.to_str().unwrap()]).json();
    assert_eq!(alone["new_root"]["signatures"], 1);
    assert_eq!(alone["complete"], false);
    let missing: Vec<&str> = alone["new_root"]["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    assert_eq!(missing, ["root-2", "root-3"], "{alone}");
    let early = tufa(&proj, &["--json", "root", "publish", a.to_str().unwrap()]);
    assert!(
        early.stdout.contains("1 of 2 signatures from the new root"),
        "{early:#?}"
    );
    let merged = tufa(
        &proj,
        &[
            "--json",
            "root",
            "status",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
        ],
    )
    .json();
    assert_eq!(merged["complete"], true, "{merged}");
    // The encrypted key signs a third copy too, with its passphrase from the environment.
    let c = tmp.path().join("copy-c.json");
    std::fs::copy(&req, &c).unwrap();
    let wrong = tufa_env(
        &elsewhere,
        &[
            "--json",
            "root",
            "sign",
            "--yes",
            c.to_str().unwrap(),
            "--key",
            root2_path.to_str().unwrap(),
        ],
        &[("TUFA_PASSPHRASE_ROOT_2", "nope")],
    );
    assert!(wrong.stdout.contains("wrong passphrase"), "{wrong:#?}");
    tufa_env(
        &elsewhere,
        &[
            "--json",
            "root",
            "sign",
            "--yes",
            c.to_str().unwrap(),
            "--key",
            root2_path.to_str().unwrap(),
        ],
        &[("TUFA_PASSPHRASE_ROOT_2", "s3cret-root-2")],
    )
    .json();
    let out = tufa(
        &proj,
        &[
            "--json",
            "root",
            "publish",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            c.to_str().unwrap(),
        ],
    )
    .json();
    assert_eq!(out["published"], true);
    let root = read_json(&proj.join("repository/metadata/3.root.json"));
    assert_eq!(root["signatures"].as_array().unwrap().len(), 3);
    // A request based on a root that is no longer current is refused.
    let again = tufa(
        &proj,
        &[
            "--json",
            "root",
            "publish",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
        ],
    );
    assert!(again.stdout.contains("make a new request"), "{again:#?}");
}

#[test]
fn rotating_every_roles_key_keeps_clients_updating() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &[]);
    add(&proj, tmp.path(), "1.0");
    let server = Server::start(proj.join("repository"));
    let client = tmp.path().join("client");
    update_client(&proj, &server, &client, "1.0").json();
    for name in ["root", "targets", "snapshot", "timestamp"] {
        let v = tufa(
            &proj,
            &["--json", "key", "replace", name, "--key-store", "file"],
        )
        .json();
        assert_eq!(v["status"]["complete"], true, "{name}: {v}");
        let published = tufa(
            &proj,
            &["--json", "root", "publish", v["request"].as_str().unwrap()],
        )
        .json();
        assert_eq!(published["published"], true);
    }
    add(&proj, tmp.path(), "2.0");
    let v = update_client(&proj, &server, &client, "1.0").json();
    assert_eq!(v["installed_version"], "2.0");
    let trusted = read_json(&client.join("meta/root.json"));
    assert_eq!(trusted["signed"]["version"], 5, "four rotations followed");
}

#[test]
fn a_revoked_targets_key_cannot_sign_for_clients() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &[]);
    add(&proj, tmp.path(), "1.0");
    let server = Server::start(proj.join("repository"));
    let client = tmp.path().join("client");
    update_client(&proj, &server, &client, "1.0").json();
    let leaked_pem = std::fs::read_to_string(proj.join("keys/targets.pem")).unwrap();
    let leaked_id = read_json(&proj.join("repository/metadata/root.json"))["signed"]["roles"]
        ["targets"]["keyids"][0]
        .as_str()
        .unwrap()
        .to_string();
    let v = tufa(
        &proj,
        &[
            "--json",
            "key",
            "add",
            "targets",
            "--name",
            "targets-new",
            "--key-store",
            "file",
        ],
    )
    .json();
    tufa(
        &proj,
        &["--json", "root", "publish", v["request"].as_str().unwrap()],
    )
    .json();
    let refused = tufa(&proj, &["--json", "threshold", "targets", "3"]);
    assert!(refused.stdout.contains("impossible"), "{refused:#?}");
    let v = tufa(&proj, &["--json", "key", "revoke", "targets"]).json();
    assert!(
        v["status"]["summary"]
            .to_string()
            .contains("Removes key 'targets'"),
        "{v}"
    );
    tufa(
        &proj,
        &["--json", "root", "publish", v["request"].as_str().unwrap()],
    )
    .json();
    add(&proj, tmp.path(), "1.1");
    // The attacker holds the revoked key (and, worst case, the online
    // snapshot and timestamp keys): a targets.json signed with it is refused.
    let md = proj.join("repository/metadata");
    let mut targets: Value =
        serde_json::from_slice(&std::fs::read(md.join("targets.json")).unwrap()).unwrap();
    targets["signed"]["version"] = Value::from(targets["signed"]["version"].as_u64().unwrap() + 1);
    tufa_tests::resign::sign_with_pem(&leaked_pem, &leaked_id, &mut targets);
    let evil = tmp.path().join("evil");
    std::fs::create_dir_all(evil.join("metadata")).unwrap();
    std::fs::write(
        evil.join("metadata/targets.json"),
        serde_json::to_vec_pretty(&targets).unwrap(),
    )
    .unwrap();
    server.fault(
        "/metadata/targets.json",
        Fault::Replace(std::fs::read(evil.join("metadata/targets.json")).unwrap()),
    );
    let run = update_client(&proj, &server, &client, "1.0");
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(run.stdout.contains("verification_failed"), "{run:#?}");
    server.clear_faults();
    let ok = update_client(&proj, &server, &client, "1.0").json();
    assert_eq!(ok["installed_version"], "1.1");
}

#[test]
fn a_request_altered_after_signing_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &[]);
    let v = tufa(&proj, &["--json", "root", "request"]).json();
    let path = request_path(&v);
    assert_eq!(v["status"]["complete"], true);
    let mut req: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    // Sneak a change into the signed root: a longer expiry.
    req["new_root"]["signed"]["expires"] = Value::from("2099-01-01T00:00:00Z");
    std::fs::write(&path, serde_json::to_vec_pretty(&req).unwrap()).unwrap();
    let status = tufa(&proj, &["--json", "root", "status", path.to_str().unwrap()]).json();
    assert_eq!(status["complete"], false);
    assert_eq!(status["invalid_signatures"][0], "root");
    let run = tufa(
        &proj,
        &["--json", "root", "publish", path.to_str().unwrap()],
    );
    assert_eq!(run.code, Some(1));
    assert!(!proj.join("repository/metadata/2.root.json").exists());
    // Merging it with an honest copy is refused too.
    let altered = tmp.path().join("altered.json");
    std::fs::copy(&path, &altered).unwrap();
    let path = altered;
    let honest = tufa(&proj, &["--json", "root", "request"]).json();
    let merged = tufa(
        &proj,
        &[
            "--json",
            "root",
            "status",
            request_path(&honest).to_str().unwrap(),
            path.to_str().unwrap(),
        ],
    );
    assert!(merged.stdout.contains("different changes"), "{merged:#?}");
}

#[test]
fn a_missing_keyring_gets_a_clear_answer() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tufa_env(
        &tmp.path().join("p"),
        &["--json", "init", "--app", "demo", "--key-store", "keyring"],
        &[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")],
    );
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(
        run.stdout.contains("no OS keyring is reachable"),
        "{run:#?}"
    );
    assert!(run.stdout.contains("--key-store file"), "{run:#?}");
    // `auto` falls back to files and says so.
    let auto = tufa_env(
        &tmp.path().join("q"),
        &["init", "--app", "demo"],
        &[("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")],
    );
    assert_eq!(auto.code, Some(0), "{auto:#?}");
    assert!(auto.stderr.contains("keeping keys in files"), "{auto:#?}");
    assert!(tmp.path().join("q/keys/root.pem").exists());
}
