//! Root key custody at creation: `tufa init --encrypt-root` (and the
//! app's wizard, through `InitOptions::root_passphrase`) makes each root
//! key a passphrase-encrypted file to back up and move offline, while the
//! other keys go where `--key-store` says.

use std::path::Path;
use tufa::publisher::keys::Secret;
use tufa::publisher::{Custody, InitOptions, KeyStore, Publisher};
use tufa_tests::*;

const PASS: &str = "a long root passphrase";

fn key_status(proj: &Path, name: &str) -> serde_json::Value {
    tufa(proj, &["--json", "status"]).json()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == name)
        .unwrap()
        .clone()
}

/// `tufa root sign REQUEST --key KEY --yes`, the key file's passphrase
/// given as a custodian would.
fn sign_with(proj: &Path, request: &str, key: &Path, passphrase: &str) -> Run {
    tufa_env(
        proj,
        &[
            "--json",
            "root",
            "sign",
            request,
            "--key",
            key.to_str().unwrap(),
            "--yes",
        ],
        &[("TUFA_PASSPHRASE", passphrase)],
    )
}

#[test]
fn encrypted_root_keys_sign_only_with_their_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = tmp.path().join("proj");
    let run = tufa_env(
        &proj,
        &[
            "init",
            "--app",
            "demo",
            "--key-store",
            "file",
            "--threshold",
            "root=2",
            "--encrypt-root",
        ],
        &[("TUFA_NEW_PASSPHRASE", PASS)],
    );
    assert_eq!(run.code, Some(0), "{run:#?}");
    for name in ["root", "root-2"] {
        let pem = std::fs::read_to_string(proj.join(format!("keys/{name}.pem"))).unwrap();
        assert!(
            pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"),
            "{name}: {pem:.40}"
        );
        let k = key_status(&proj, name);
        assert_eq!(k["custody"], "encrypted_file", "{k}");
        assert_eq!(k["available"], true, "here, locked: {k}");
    }
    let targets = std::fs::read_to_string(proj.join("keys/targets.pem")).unwrap();
    assert!(targets.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert_eq!(key_status(&proj, "targets")["custody"], "file");
    // The first root was signed by both encrypted keys.
    let root = read_json(&proj.join("repository/metadata/1.root.json"));
    assert_eq!(root["signatures"].as_array().unwrap().len(), 2);

    // Releases need no root key.
    let bundle = tmp.path().join("b1");
    write_bundle(&bundle, &[("app.bin", b"one")]);
    let run = tufa(
        &proj,
        &[
            "--json",
            "add",
            bundle.to_str().unwrap(),
            "--version",
            "1.0",
        ],
    );
    assert_eq!(run.code, Some(0), "{run:#?}");

    // A root change without the passphrase: the encrypted keys stay
    // closed, the request waits for their signatures.
    let run = tufa(&proj, &["--json", "root", "request", "--expires", "400"]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    let v = run.json();
    assert_eq!(v["status"]["old_root"]["signatures"], 0, "{v}");
    let request = v["request"].as_str().unwrap().to_string();
    let refused = tufa(&proj, &["--json", "root", "publish", &request]);
    assert_ne!(refused.code, Some(0), "{refused:#?}");
    // A backup (`tufa key export`, read back by the engine) signs as the
    // root key itself.
    let backup = tmp.path().join("usb/root-backup.pem");
    std::fs::create_dir_all(backup.parent().unwrap()).unwrap();
    let run = tufa_env(
        &proj,
        &["--json", "key", "export", "root", backup.to_str().unwrap()],
        &[
            ("TUFA_PASSPHRASE", PASS),
            ("TUFA_NEW_PASSPHRASE", "backup pass"),
        ],
    );
    assert_eq!(run.code, Some(0), "{run:#?}");
    let run = sign_with(&proj, &request, &backup, "backup pass");
    assert_eq!(run.code, Some(0), "{run:#?}");
    let status = tufa(&proj, &["--json", "root", "status", &request]).json();
    assert_eq!(status["old_root"]["signatures"], 1, "{status}");
    assert_eq!(
        status["old_root"]["missing"],
        serde_json::json!(["root-2"]),
        "{status}"
    );
    // Exported into a folder (the stick itself), the copy is NAME.pem.
    let run = tufa_env(
        &proj,
        &[
            "--json",
            "key",
            "export",
            "root-2",
            backup.parent().unwrap().to_str().unwrap(),
        ],
        &[
            ("TUFA_PASSPHRASE", PASS),
            ("TUFA_NEW_PASSPHRASE", "backup pass"),
        ],
    );
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert_eq!(
        run.json()["file"].as_str().unwrap(),
        tmp.path().join("usb/root-2.pem").to_str().unwrap()
    );
    // A wrong passphrase opens nothing.
    let run = sign_with(
        &proj,
        &request,
        &proj.join("keys/root.pem"),
        "wrong passphrase",
    );
    assert_eq!(run.error_code(), "bad_key", "{run:#?}");
    assert!(run.stdout.contains("wrong passphrase"), "{run:#?}");
    // With it, the second key signs and the new root publishes.
    let run = sign_with(&proj, &request, &proj.join("keys/root-2.pem"), PASS);
    assert_eq!(run.code, Some(0), "{run:#?}");
    let run = tufa(&proj, &["--json", "root", "publish", &request]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    assert!(proj.join("repository/metadata/2.root.json").exists());
}

#[test]
fn no_passphrase_and_no_terminal_creates_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = tmp.path().join("proj");
    let run = tufa_env(
        &proj,
        &[
            "init",
            "--app",
            "demo",
            "--key-store",
            "file",
            "--encrypt-root",
        ],
        &[("TUFA_NEW_PASSPHRASE", "")],
    );
    assert_ne!(run.code, Some(0), "{run:#?}");
    assert!(!proj.join("tufa.toml").exists());
    assert!(!proj.join("keys").exists());

    // The engine refuses an empty passphrase too (the app's wizard).
    let mut opts = InitOptions::new("demo");
    opts.key_store = KeyStore::File;
    opts.root_passphrase = Some(Secret::new(Vec::new()));
    let Err(err) = Publisher::init(&proj, &opts) else {
        panic!("an empty passphrase was accepted");
    };
    assert_eq!(err.code(), "invalid_setting", "{err}");
    assert!(!proj.join("tufa.toml").exists());

    // A given one: root is an encrypted file, the rest as chosen.
    opts.root_passphrase = Some(Secret::new(PASS.as_bytes().to_vec()));
    let (publisher, _) = Publisher::init(&proj, &opts).expect("init");
    let status = publisher.status().expect("status");
    for k in status.keys {
        let want = if k.roles.contains(&tufa::metadata::TopRole::Root) {
            Custody::EncryptedFile
        } else {
            Custody::File
        };
        assert_eq!(k.custody, want, "{}", k.name);
    }
}

#[test]
fn a_custodian_key_is_added_by_its_public_key_and_never_leaves_the_custodian() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &[]);
    // Bob, on his own computer, with no project.
    let bob_dir = tmp.path().join("bob");
    std::fs::create_dir_all(&bob_dir).unwrap();
    let bob_key = bob_dir.join("bob.pem");
    let run = tufa_env(
        &tmp.path().join("no-project"),
        &["--json", "key", "new", bob_key.to_str().unwrap()],
        &[("TUFA_NEW_PASSPHRASE", "bob's passphrase")],
    );
    assert_eq!(run.code, Some(0), "{run:#?}");
    let made = run.json();
    let public = made["public_key"].as_str().unwrap().to_string();
    assert_eq!(public, bob_dir.join("bob.pub.json").to_str().unwrap());
    let public_text = std::fs::read_to_string(&public).unwrap();
    assert!(!public_text.contains("PRIVATE"), "{public_text}");
    assert!(std::fs::read_to_string(&bob_key)
        .unwrap()
        .starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    // Bob's private key sent by mistake is refused, not imported.
    let run = tufa(
        &proj,
        &[
            "--json",
            "key",
            "add",
            "root",
            "--public-key",
            bob_key.to_str().unwrap(),
        ],
    );
    assert_eq!(run.error_code(), "invalid_setting", "{run:#?}");
    assert!(run.stdout.contains("this is a private key"), "{run:#?}");

    // The publisher adds Bob's public key and asks for two root
    // signatures: the request waits for Bob.
    let run = tufa(
        &proj,
        &[
            "--json",
            "key",
            "add",
            "root",
            "--public-key",
            &public,
            "--name",
            "bob",
            "--owner",
            "Bob",
        ],
    );
    assert_eq!(run.code, Some(0), "{run:#?}");
    let run = tufa(&proj, &["--json", "threshold", "root", "2"]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    let request = run.json()["request"].as_str().unwrap().to_string();
    let status = tufa(&proj, &["--json", "root", "status", &request]).json();
    assert_eq!(status["complete"], false, "{status}");
    assert_eq!(
        status["new_root"]["missing"],
        serde_json::json!(["bob"]),
        "{status}"
    );
    assert!(
        !proj.join("keys/bob.pem").exists(),
        "nothing generated here"
    );

    // Bob signs on his computer; then the new root publishes with his key.
    let run = sign_with(&proj, &request, &bob_key, "bob's passphrase");
    assert_eq!(run.code, Some(0), "{run:#?}");
    let run = tufa(&proj, &["--json", "root", "publish", &request]);
    assert_eq!(run.code, Some(0), "{run:#?}");
    let root = read_json(&proj.join("repository/metadata/2.root.json"));
    let root_ids = root["signed"]["roles"]["root"]["keyids"]
        .as_array()
        .unwrap()
        .clone();
    assert!(root_ids.contains(&made["keyid"]), "{root_ids:?}");
    assert_eq!(root["signed"]["roles"]["root"]["threshold"], 2);
    let bob = key_status(&proj, "bob");
    assert_eq!(bob["custody"], "custodian", "{bob}");
    assert_eq!(bob["available"], false, "{bob}");
    assert_eq!(bob["keyid"], made["keyid"]);

    // Only Bob can replace his key.
    let run = tufa(&proj, &["--json", "key", "replace", "bob"]);
    assert_eq!(run.error_code(), "invalid_setting", "{run:#?}");
    assert!(run.stdout.contains("held by its custodian"), "{run:#?}");
}
