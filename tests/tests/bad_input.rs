//! Bad input gets a clear error and leaves the repository untouched.

use std::path::Path;
use tufa_tests::*;

/// A project with release 1.0 published, and a bundle dir for 1.1.
fn project_with_one_release(tmp: &Path) -> std::path::PathBuf {
    let proj = init_project(tmp, &[]);
    write_bundle(
        &tmp.join("b1"),
        &[("app.bin", b"version one"), ("data/x.txt", b"x")],
    );
    write_bundle(
        &tmp.join("b2"),
        &[("app.bin", b"version two"), ("data/x.txt", b"x")],
    );
    add_release(&proj, tmp.join("b1").to_str().unwrap(), "1.0");
    proj
}

/// Runs `tufa ARGS` expecting failure with `code`; the repository and the
/// project directory must be byte-for-byte unchanged.
fn rejects(proj: &Path, args: &[&str], code: &str, words: &str) {
    let before = fingerprint(proj);
    let mut full = vec!["--json"];
    full.extend_from_slice(args);
    let run = tufa(proj, &full);
    assert_eq!(run.code, Some(1), "{args:?} should fail: {run:#?}");
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON error");
    assert_eq!(v["error"]["code"], code, "{args:?}: {v}");
    // What the user reads: the engine's message and the CLI's wording of
    // its remedy (commands, flags and variables are only ever there).
    let msg = format!(
        "{}\nhint: {}",
        v["error"]["message"].as_str().unwrap(),
        v["error"]["hint"].as_str().unwrap_or_default()
    );
    assert!(
        msg.contains(words),
        "{args:?}: message '{msg}' lacks '{words}'"
    );
    assert_eq!(fingerprint(proj), before, "{args:?} changed files");
}

#[test]
fn versions_must_be_pep440_and_increase() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = project_with_one_release(tmp.path());
    let b2 = tmp.path().join("b2");
    let b2 = b2.to_str().unwrap();
    // 1.0.0 is 1.0 under PEP 440: not a new version.
    for (version, code, words) in [
        ("1.0.x", "invalid_version", "PEP 440"),
        ("banana", "invalid_version", "banana"),
        (
            "1.0",
            "version_not_newer",
            "not above the latest release 1.0",
        ),
        ("0.9", "version_not_newer", "1.0"),
        ("1.0rc1", "version_not_newer", "1.0"),
        ("1.0.0", "version_not_newer", "1.0"),
    ] {
        rejects(&proj, &["add", b2, "--version", version], code, words);
    }
    // --plan reports the same errors.
    rejects(
        &proj,
        &["add", b2, "--version", "0.1", "--plan"],
        "version_not_newer",
        "1.0",
    );
}

#[test]
fn bundles_must_exist_and_stay_inside() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = project_with_one_release(tmp.path());
    let missing = tmp.path().join("nope");
    rejects(
        &proj,
        &["add", missing.to_str().unwrap(), "--version", "1.1"],
        "bundle_not_found",
        "does not exist",
    );
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    rejects(
        &proj,
        &["add", empty.to_str().unwrap(), "--version", "1.1"],
        "empty_bundle",
        "empty",
    );

    let abs = tmp.path().join("abs-link");
    write_bundle(&abs, &[("app.bin", b"x")]);
    std::os::unix::fs::symlink("/etc/passwd", abs.join("passwd")).unwrap();
    rejects(
        &proj,
        &["add", abs.to_str().unwrap(), "--version", "1.1"],
        "symlink_escapes_bundle",
        "outside the bundle",
    );

    let rel = tmp.path().join("rel-link");
    write_bundle(&rel, &[("app.bin", b"x"), ("sub/keep.txt", b"k")]);
    std::os::unix::fs::symlink("../../b1/app.bin", rel.join("sub/escape")).unwrap();
    rejects(
        &proj,
        &["add", rel.to_str().unwrap(), "--version", "1.1"],
        "symlink_escapes_bundle",
        "escape",
    );

    // A chain: an innocent-looking link to a link that leaves the tree.
    let chain = tmp.path().join("chain-link");
    write_bundle(&chain, &[("app.bin", b"x")]);
    std::os::unix::fs::symlink(tmp.path().join("b1"), chain.join("outside")).unwrap_or(());
    rejects(
        &proj,
        &["add", chain.to_str().unwrap(), "--version", "1.1"],
        "symlink_escapes_bundle",
        "outside",
    );

    let fifo = tmp.path().join("fifo-bundle");
    write_bundle(&fifo, &[("app.bin", b"x")]);
    let status = std::process::Command::new("mkfifo")
        .arg(fifo.join("pipe"))
        .status()
        .unwrap();
    assert!(status.success());
    rejects(
        &proj,
        &["add", fifo.to_str().unwrap(), "--version", "1.1"],
        "unsupported_file_type",
        "pipe",
    );

    // A symlink that stays inside is fine, and so the release goes out.
    let inside = tmp.path().join("inside-link");
    write_bundle(&inside, &[("lib/real.so", b"so"), ("app.bin", b"x")]);
    std::os::unix::fs::symlink("lib/real.so", inside.join("link.so")).unwrap();
    add_release(&proj, inside.to_str().unwrap(), "1.1");
}

#[test]
fn app_names_are_checked_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    for bad in ["my app", "../evil", "a/b", "ünï", ""] {
        let proj = tmp.path().join("p");
        let run = tufa(&proj, &["--json", "init", "--app", bad]);
        assert_eq!(run.code, Some(1), "{bad}: {run:#?}");
        let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(v["error"]["code"], "invalid_app_name", "{bad}");
        assert!(!proj.exists(), "{bad}: created {}", proj.display());
    }
}

#[test]
fn a_missing_key_is_named_with_where_it_was_expected() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = project_with_one_release(tmp.path());
    let b2 = tmp.path().join("b2");
    std::fs::rename(
        proj.join("keys/targets.pem"),
        tmp.path().join("targets.pem"),
    )
    .unwrap();
    rejects(
        &proj,
        &["add", b2.to_str().unwrap(), "--version", "1.1"],
        "missing_key",
        "keys/targets.pem",
    );
    std::fs::rename(
        tmp.path().join("targets.pem"),
        proj.join("keys/targets.pem"),
    )
    .unwrap();
    std::fs::rename(
        proj.join("keys/timestamp.pem"),
        tmp.path().join("timestamp.pem"),
    )
    .unwrap();
    rejects(
        &proj,
        &["add", b2.to_str().unwrap(), "--version", "1.1"],
        "missing_key",
        "TUFA_KEY_TIMESTAMP",
    );
    // A different key in the expected place is refused, not used.
    std::fs::copy(
        proj.join("keys/snapshot.pem"),
        proj.join("keys/timestamp.pem"),
    )
    .unwrap();
    rejects(
        &proj,
        &["add", b2.to_str().unwrap(), "--version", "1.1"],
        "bad_key",
        "not the key the repository trusts",
    );
}

#[test]
fn a_repository_changed_by_hand_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = project_with_one_release(tmp.path());
    let b2 = tmp.path().join("b2");
    let b2 = b2.to_str().unwrap();
    let targets_path = proj.join("repository/metadata/targets.json");
    let original = std::fs::read(&targets_path).unwrap();

    // Raise the archive's length: the signature no longer covers the content.
    let mut v: serde_json::Value = serde_json::from_slice(&original).unwrap();
    let t = v["signed"]["targets"]["demo-1.0.tar.gz"]["length"]
        .as_u64()
        .unwrap();
    v["signed"]["targets"]["demo-1.0.tar.gz"]["length"] = (t + 1).into();
    std::fs::write(&targets_path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    rejects(
        &proj,
        &["add", b2, "--version", "1.1"],
        "verification_failed",
        "targets.json",
    );
    rejects(
        &proj,
        &["status"],
        "verification_failed",
        "restore it from a backup",
    );

    std::fs::write(&targets_path, b"{\"signed\": [").unwrap();
    rejects(
        &proj,
        &["add", b2, "--version", "1.1"],
        "malformed_json",
        "targets.json",
    );

    // A swapped archive is caught before a patch is made from it.
    std::fs::write(&targets_path, &original).unwrap();
    let archive = proj.join("repository/targets/demo-1.0.tar.gz");
    let mut bytes = std::fs::read(&archive).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&archive, &bytes).unwrap();
    rejects(
        &proj,
        &["add", b2, "--version", "1.1"],
        "verification_failed",
        "demo-1.0.tar.gz",
    );
}

#[test]
fn a_second_writer_is_locked_out() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = project_with_one_release(tmp.path());
    // The real OS lock, held by this (other) process.
    let lock = tufa::publisher::commit::RepoLock::acquire(&proj.join("repository")).unwrap();
    let b2 = tmp.path().join("b2");
    rejects(
        &proj,
        &["add", b2.to_str().unwrap(), "--version", "1.1"],
        "locked",
        "another tufa process",
    );
    drop(lock);
    add_release(&proj, b2.to_str().unwrap(), "1.1");
}

#[test]
fn bad_meta_and_options_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = project_with_one_release(tmp.path());
    let b2 = tmp.path().join("b2");
    let b2 = b2.to_str().unwrap();
    rejects(
        &proj,
        &["add", b2, "--version", "1.1", "--meta", "{not json"],
        "error",
        "--meta is not valid JSON",
    );
    rejects(
        &proj,
        &["add", b2, "--version", "1.1", "--meta", "[1,2]"],
        "invalid_release_metadata",
        "JSON object",
    );
    let fresh = tmp.path().join("fresh");
    for bad in [
        ["--threshold", "root=0"],
        ["--expires", "timestamp=0"],
        ["--threshold", "nobody=1"],
    ] {
        let run = tufa(&fresh, &["init", "--app", "x", bad[0], bad[1]]);
        assert_ne!(run.code, Some(0), "{bad:?}");
        assert!(!fresh.exists(), "{bad:?} created {}", fresh.display());
    }
    let again = tufa(&proj, &["--json", "init", "--app", "demo"]);
    assert!(again.stdout.contains("already"), "{again:#?}");
}

/// `tufa --json status | head -c 1`: the reader goes away early; tufa
/// ends quietly (killed by SIGPIPE like other tools), never with a panic.
#[test]
fn a_closed_output_pipe_ends_tufa_without_a_panic() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let tmp = tempfile::tempdir().unwrap();
    let proj = project_with_one_release(tmp.path());
    // Enough output to fill the pipe: status plus a big stderr-free JSON.
    let mut child = Command::new(tufa_bin())
        .arg("--project")
        .arg(&proj)
        .args(["--json", "status"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!err.contains("panicked"), "{err}");
    assert!(!err.contains("Broken pipe"), "{err}");
    assert_ne!(status.code(), Some(101), "a panic: {err}");
}
