//! Private keys never leave the publisher's machine: not inside a release
//! archive, not uploaded with the repository; and what is uploaded is
//! readable by the web server and never stale.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use tufa_tests::moto::{Moto, ENV};
use tufa_tests::*;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// A project kept inside its own build output: `dist/` holds the app and
/// `dist/release/` the project with its key files.
#[test]
fn a_bundle_holding_the_project_or_a_key_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dist = tmp.path().join("dist");
    write_bundle(&dist, &[("app.bin", b"binary"), ("VERSION", b"1.0")]);
    let proj = dist.join("release");
    let init = tufa(&proj, &["init", "--app", "demo", "--key-store", "file"]);
    assert_eq!(init.code, Some(0), "{init:#?}");
    let before = fingerprint(&proj.join("repository"));
    for args in [
        vec!["--json", "add", dist.to_str().unwrap(), "--version", "1.0"],
        vec![
            "--json",
            "add",
            dist.to_str().unwrap(),
            "--version",
            "1.0",
            "--estimate",
        ],
    ] {
        let run = tufa(&proj, &args);
        assert_eq!(run.error_code(), "secret_in_bundle", "{run:#?}");
        assert!(run.stdout.contains("Tufa project folder"), "{run:#?}");
    }
    // The keys folder alone inside the bundle (the project elsewhere).
    let tmp2 = tempfile::tempdir().unwrap();
    let bundle = tmp2.path().join("bundle");
    write_bundle(&bundle, &[("app.bin", b"binary")]);
    let proj2 = tmp2.path().join("proj");
    let keys = bundle.join("keys");
    let init = tufa(
        &proj2,
        &[
            "init",
            "--app",
            "demo",
            "--key-store",
            "file",
            "--keys-dir",
            keys.to_str().unwrap(),
        ],
    );
    assert_eq!(init.code, Some(0), "{init:#?}");
    let run = tufa(
        &proj2,
        &[
            "--json",
            "add",
            bundle.to_str().unwrap(),
            "--version",
            "1.0",
        ],
    );
    assert_eq!(run.error_code(), "secret_in_bundle", "{run:#?}");
    assert!(run.stdout.contains("keys folder"), "{run:#?}");

    // A copy of a key file under another name, in a bundle folder and in a
    // bundle given as .tar.gz.
    let other = tmp.path().join("other");
    let key_copy = std::fs::read(proj.join("keys/targets.pem")).unwrap();
    write_bundle(
        &other,
        &[
            ("app.bin", b"binary"),
            ("assets/cert-backup.txt", &key_copy),
        ],
    );
    let run = tufa(
        &proj,
        &["--json", "add", other.to_str().unwrap(), "--version", "1.0"],
    );
    assert_eq!(run.error_code(), "secret_in_bundle", "{run:#?}");
    assert!(run.stdout.contains("cert-backup.txt"), "{run:#?}");
    assert!(
        run.stdout.contains("copy of the private key 'targets'"),
        "{run:#?}"
    );
    // Re-saved with other line ends, or converted to DER: still the key.
    let pem_text = String::from_utf8(key_copy.clone()).unwrap();
    let der = pem::parse(&pem_text).unwrap().into_contents();
    for (name, bytes) in [
        ("crlf.pem", pem_text.replace('\n', "\r\n").into_bytes()),
        ("key.der", der),
    ] {
        let b = tmp.path().join(format!("b-{name}"));
        write_bundle(&b, &[("app.bin", b"binary"), (name, &bytes)]);
        let run = tufa(
            &proj,
            &["--json", "add", b.to_str().unwrap(), "--version", "1.0"],
        );
        assert_eq!(run.error_code(), "secret_in_bundle", "{name}: {run:#?}");
    }
    let tgz = tmp.path().join("other.tar.gz");
    let status = std::process::Command::new("tar")
        .args([
            "-czf",
            tgz.to_str().unwrap(),
            "-C",
            other.to_str().unwrap(),
            ".",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let run = tufa(
        &proj,
        &["--json", "add", tgz.to_str().unwrap(), "--version", "1.0"],
    );
    assert_eq!(run.error_code(), "secret_in_bundle", "{run:#?}");
    assert_eq!(
        fingerprint(&proj.join("repository")),
        before,
        "nothing published"
    );
}

#[test]
fn keys_inside_the_repository_are_refused_at_init() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = tmp.path().join("proj");
    let run = tufa(
        &proj,
        &[
            "--json",
            "init",
            "--app",
            "demo",
            "--key-store",
            "file",
            "--keys-dir",
            "repository/targets/keys",
        ],
    );
    assert_eq!(run.error_code(), "keys_inside_repository", "{run:#?}");
    assert!(!proj.join("repository/targets/keys").exists());
    assert!(!proj.join("tufa.toml").exists());
    // The repository as a link to where the keys will go, before they exist.
    let proj2 = tmp.path().join("proj2");
    std::fs::create_dir_all(&proj2).unwrap();
    std::os::unix::fs::symlink("keys", proj2.join("repository")).unwrap();
    let run = tufa(
        &proj2,
        &["--json", "init", "--app", "demo", "--key-store", "file"],
    );
    assert_eq!(run.error_code(), "keys_inside_repository", "{run:#?}");
    assert!(!proj2.join("keys").exists());
}

/// Only what targets.json lists is uploaded; files are world-readable.
#[test]
fn publish_uploads_only_listed_files_readable_by_a_web_server() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &[]);
    let b = tmp.path().join("b");
    write_bundle(&b, &[("app.bin", b"one"), ("VERSION", b"1.0")]);
    add_release(&proj, b.to_str().unwrap(), "1.0");
    let repo = proj.join("repository");
    std::fs::copy(proj.join("keys/root.pem"), repo.join("targets/root.pem")).unwrap();
    std::fs::write(repo.join("metadata/notes.txt"), "draft").unwrap();
    let www = tmp.path().join("www");
    let up = tufa(&proj, &["--json", "publish", "--to", www.to_str().unwrap()]).json();
    let not_listed: Vec<&str> = up["upload"]["not_listed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(not_listed, ["metadata/notes.txt", "targets/root.pem"]);
    assert!(!www.join("targets/root.pem").exists());
    assert!(!www.join("metadata/notes.txt").exists());
    assert!(www.join("targets/demo-1.0.tar.gz").exists());
    for f in [
        "targets/demo-1.0.tar.gz",
        "metadata/timestamp.json",
        "metadata/1.root.json",
    ] {
        assert_eq!(mode(&www.join(f)), 0o644, "{f}");
    }
    for d in ["", "targets", "metadata"] {
        assert_eq!(mode(&www.join(d)), 0o755, "{d}");
    }
    assert_eq!(mode(&proj.join("keys/root.pem")), 0o600);

    // A listed archive replaced on disk by a link to a key is not sent.
    let listed = repo.join("targets/demo-1.0.tar.gz");
    let saved = tmp.path().join("saved.tar.gz");
    std::fs::rename(&listed, &saved).unwrap();
    std::os::unix::fs::symlink(proj.join("keys/root.pem"), &listed).unwrap();
    let www2 = tmp.path().join("www2");
    let run = tufa(
        &proj,
        &["--json", "publish", "--to", www2.to_str().unwrap()],
    );
    assert_eq!(run.error_code(), "verification_failed", "{run:#?}");
    assert!(!www2.join("targets/demo-1.0.tar.gz").exists());
    std::fs::remove_file(&listed).unwrap();
    std::fs::rename(&saved, &listed).unwrap();

    // A published name holding other bytes of the same size (a version
    // released again after remove-latest) is replaced, not skipped.
    let archive = www.join("targets/demo-1.0.tar.gz");
    let mut stale = std::fs::read(&archive).unwrap();
    stale.iter_mut().for_each(|b| *b = !*b);
    std::fs::write(&archive, &stale).unwrap();
    let again = tufa(&proj, &["--json", "publish", "--to", www.to_str().unwrap()]).json();
    assert!(
        again["upload"]["uploaded"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == "targets/demo-1.0.tar.gz"),
        "{again}"
    );
    assert_eq!(
        std::fs::read(&archive).unwrap(),
        std::fs::read(repo.join("targets/demo-1.0.tar.gz")).unwrap()
    );
}

/// The same on S3: an object of the right size but other bytes is sent
/// again; unlisted files never go up.
#[test]
fn s3_upload_compares_sha256_and_skips_unlisted_files() {
    let moto = Moto::start("secrets");
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &[]);
    let b = tmp.path().join("b");
    write_bundle(&b, &[("app.bin", b"one"), ("VERSION", b"1.0")]);
    add_release(&proj, b.to_str().unwrap(), "1.0");
    let repo = proj.join("repository");
    std::fs::copy(proj.join("keys/root.pem"), repo.join("targets/root.pem")).unwrap();
    let publish = || {
        tufa_env(
            &proj,
            &[
                "--json",
                "publish",
                "--to",
                "s3://secrets/r",
                "--endpoint",
                &moto.endpoint,
            ],
            &ENV,
        )
        .json()
    };
    let up = publish();
    assert_eq!(up["upload"]["not_listed"][0], "targets/root.pem");
    let base = format!("{}/secrets/r", moto.endpoint);
    let key = tufa_tests::moto::head(&format!("{base}/targets/root.pem"));
    assert!(key.starts_with("http/1.1 404"), "{key}");
    // Same size, other bytes, put there by another tool (no sha256).
    let archive = std::fs::read(repo.join("targets/demo-1.0.tar.gz")).unwrap();
    let stale: Vec<u8> = archive.iter().map(|b| !b).collect();
    let stale_file = tmp.path().join("stale");
    std::fs::write(&stale_file, &stale).unwrap();
    let script = "import sys, boto3\n\
s3 = boto3.client('s3', endpoint_url=sys.argv[1], aws_access_key_id='tufa-test', aws_secret_access_key='tufa-test-secret', region_name='us-east-1')\n\
s3.put_object(Bucket='secrets', Key='r/targets/demo-1.0.tar.gz', Body=open(sys.argv[2], 'rb').read())\n";
    let out = std::process::Command::new(python())
        .args(["-c", script, &moto.endpoint, stale_file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = publish();
    assert!(
        again["upload"]["uploaded"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == "targets/demo-1.0.tar.gz"),
        "{again}"
    );
    // And a third run skips it: the bytes are now the same.
    let third = publish();
    assert!(
        third["upload"]["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == "targets/demo-1.0.tar.gz"),
        "{third}"
    );
    tufa(tmp.path(), &["--json", "verify", &base]).json();
}
