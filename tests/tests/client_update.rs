//! The client updates real installs from repositories published by the
//! engine and served over real HTTP on 127.0.0.1, and refuses every attack
//! without installing anything.

use serde_json::Value;
use std::path::{Path, PathBuf};
use tufa_tests::server::{Fault, Server};
use tufa_tests::*;

/// Incompressible pseudo-random bytes, so that patches beat archives.
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

/// Bundle of `version`: a 200 KB binary changed a little per version, a
/// version file, and a file only some versions have.
fn bundle(root: &Path, version: &str, index: usize) -> PathBuf {
    let dir = root.join(format!("bundle-{version}"));
    let mut bin = noise(7, 200_000);
    for i in 0..index {
        let at = 10_000 * (i + 1);
        bin[at..at + 500].copy_from_slice(&noise(100 + i as u64, 500));
    }
    write_bundle(&dir, &[("app.bin", &bin), ("VERSION", version.as_bytes())]);
    if index % 2 == 1 {
        write_bundle(&dir, &[("odd.txt", b"only in odd releases")]);
    }
    dir
}

struct Repo {
    tmp: tempfile::TempDir,
    proj: PathBuf,
    server: Server,
}

/// Publishes `versions` (with `required` flags) and serves the repository.
fn publish(versions: &[(&str, bool)]) -> Repo {
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &[]);
    for (i, (v, required)) in versions.iter().enumerate() {
        let b = bundle(tmp.path(), v, i);
        let meta = format!(r#"{{"notes": "release {v}"}}"#);
        let mut args = vec![
            "--json",
            "add",
            b.to_str().unwrap(),
            "--version",
            v,
            "--meta",
            &meta,
        ];
        if *required {
            args.push("--required");
        }
        tufa(&proj, &args).json();
    }
    let server = Server::start(proj.join("repository"));
    Repo { tmp, proj, server }
}

/// An installed app: install dir holding `version`, trusted root v1,
/// optionally the current tar cached.
struct Client {
    install: PathBuf,
    meta: PathBuf,
    cache: PathBuf,
}

impl Client {
    fn new(repo: &Repo, name: &str, version: &str, cache_tar: bool) -> Client {
        let base = repo.tmp.path().join(name);
        let (install, meta, cache) = (base.join("install"), base.join("meta"), base.join("cache"));
        for d in [&install, &meta, &cache] {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::copy(
            repo.proj.join("repository/metadata/1.root.json"),
            meta.join("root.json"),
        )
        .unwrap();
        let archive = repo
            .proj
            .join(format!("repository/targets/demo-{version}.tar.gz"));
        let tar = unpack_release(&archive, &install);
        if cache_tar {
            std::fs::write(cache.join(format!("demo-{version}.tar")), &tar).unwrap();
        }
        Client {
            install,
            meta,
            cache,
        }
    }

    fn update(&self, repo: &Repo, version: &str, extra: &[&str]) -> Run {
        self.update_env(repo, version, extra, &[])
    }

    fn update_env(&self, repo: &Repo, version: &str, extra: &[&str], env: &[(&str, &str)]) -> Run {
        let at = Install {
            install: &self.install,
            meta: &self.meta,
            cache: &self.cache,
        };
        update_app(&repo.proj, &at, version, &repo.server.url, extra, env)
    }

    fn installed(&self) -> String {
        String::from_utf8(std::fs::read(self.install.join("VERSION")).unwrap()).unwrap()
    }
}

fn fetched(v: &Value) -> Vec<String> {
    v["fetched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn patch_chain_from_1_0_to_3_0_and_cache_cleanup() {
    let repo = publish(&[("1.0", false), ("2.0", false), ("3.0", false)]);
    let c = Client::new(&repo, "c", "1.0", true);
    let v = c.update(&repo, "1.0", &[]).json();
    assert_eq!(v["update"]["method"], "patch");
    assert_eq!(fetched(&v), ["demo-2.0.patch", "demo-3.0.patch"]);
    assert_eq!(v["installed_version"], "3.0");
    assert_eq!(c.installed(), "3.0");
    // Files equal the 3.0 bundle, purged of 2.0's odd.txt.
    let expected = fingerprint(&repo.tmp.path().join("bundle-3.0"));
    assert_eq!(fingerprint(&c.install), expected);
    let cached: Vec<String> = std::fs::read_dir(&c.cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tar"))
        .collect();
    assert_eq!(cached, ["demo-3.0.tar"], "only the newest tar is kept");
    // Up to date now.
    let again = c.update(&repo, "3.0", &[]).json();
    assert_eq!(again["update"], Value::Null);
}

#[test]
fn full_archive_without_cached_tar_or_with_no_patch() {
    let repo = publish(&[("1.0", false), ("1.1", false)]);
    let c = Client::new(&repo, "c", "1.0", false);
    let v = c.update(&repo, "1.0", &[]).json();
    assert_eq!(fetched(&v), ["demo-1.1.tar.gz"]);
    assert_eq!(c.installed(), "1.1");
    let d = Client::new(&repo, "d", "1.0", true);
    let v = d.update(&repo, "1.0", &["--no-patch"]).json();
    assert_eq!(fetched(&v), ["demo-1.1.tar.gz"]);
}

#[test]
fn a_required_release_stops_the_client_and_metadata_reaches_the_plan() {
    let repo = publish(&[("1.0", false), ("1.1", true), ("2.0", false)]);
    let c = Client::new(&repo, "c", "1.0", true);
    let plan = c.update(&repo, "1.0", &["--check-only"]).json();
    assert_eq!(plan["update"]["version"], "1.1");
    assert_eq!(plan["update"]["required"], true);
    assert_eq!(plan["update"]["user"]["notes"], "release 1.1");
    assert_eq!(plan["update"]["notes"], "release 1.1");
    assert_eq!(
        fingerprint(&c.install),
        fingerprint(&repo.tmp.path().join("bundle-1.0")),
        "check-only installs nothing"
    );
    let skip = c
        .update(&repo, "1.0", &["--check-only", "--ignore-required"])
        .json();
    assert_eq!(skip["update"]["version"], "2.0");
    c.update(&repo, "1.0", &[]).json();
    assert_eq!(c.installed(), "1.1");
    c.update(&repo, "1.1", &[]).json();
    assert_eq!(c.installed(), "2.0");
}

#[test]
fn pre_release_channels() {
    let repo = publish(&[
        ("1.0", false),
        ("1.1a1", false),
        ("1.1b1", false),
        ("1.1rc1", false),
    ]);
    let c = Client::new(&repo, "c", "1.0", true);
    let stable = c.update(&repo, "1.0", &["--check-only"]).json();
    assert_eq!(stable["update"], Value::Null);
    let rc = c
        .update(&repo, "1.0", &["--check-only", "--pre", "rc"])
        .json();
    assert_eq!(rc["update"]["version"], "1.1rc1");
    let a = c.update(&repo, "1.0", &["--pre", "a"]).json();
    assert_eq!(a["update"]["version"], "1.1rc1");
    assert_eq!(
        fetched(&a),
        ["demo-1.1a1.patch", "demo-1.1b1.patch", "demo-1.1rc1.patch"]
    );
}

#[test]
fn tampered_archive_is_refused_and_nothing_installed() {
    let repo = publish(&[("1.0", false), ("1.1", false)]);
    let archive = repo.proj.join("repository/targets/demo-1.1.tar.gz");
    let mut bytes = std::fs::read(&archive).unwrap();
    bytes[100] ^= 1;
    repo.server
        .fault("/targets/demo-1.1.tar.gz", Fault::Replace(bytes));
    let c = Client::new(&repo, "c", "1.0", false);
    let before = fingerprint(&c.install);
    assert_eq!(
        c.update(&repo, "1.0", &[]).error_code(),
        "verification_failed"
    );
    assert_eq!(fingerprint(&c.install), before);
}

#[test]
fn tampered_patch_falls_back_to_the_full_archive() {
    let repo = publish(&[("1.0", false), ("1.1", false)]);
    let patch = std::fs::read(repo.proj.join("repository/targets/demo-1.1.patch")).unwrap();
    let mut bad = patch.clone();
    let n = bad.len() - 1;
    bad[n] ^= 0xff;
    repo.server
        .fault("/targets/demo-1.1.patch", Fault::Replace(bad));
    let c = Client::new(&repo, "c", "1.0", true);
    let v = c.update(&repo, "1.0", &[]).json();
    assert!(
        v["fell_back"].as_str().unwrap().contains("demo-1.1.patch"),
        "{v}"
    );
    assert_eq!(fetched(&v), ["demo-1.1.tar.gz"]);
    assert_eq!(c.installed(), "1.1");
}

#[test]
fn a_wrong_tar_hash_makes_the_patch_fail_over_to_the_archive() {
    let repo = publish(&[("1.0", false), ("1.1", false)]);
    tufa_tests::resign::edit_targets(&repo.proj, |signed| {
        signed["targets"]["demo-1.1.patch"]["custom"]["tufup"]["tar_hash"] =
            Value::from("ab".repeat(32));
    });
    let c = Client::new(&repo, "c", "1.0", true);
    let before = fingerprint(&c.install);
    // The patch result does not match tar_hash: fall back to the archive,
    // whose tar does not match that tar_hash either: nothing installed.
    let run = c.update(&repo, "1.0", &[]);
    assert_eq!(run.error_code(), "verification_failed", "{run:#?}");
    assert_eq!(fingerprint(&c.install), before);
    assert!(std::fs::read_to_string(c.cache.join("failed-patches.json"))
        .unwrap()
        .contains("demo-1.1.patch"));
}

#[test]
fn a_hostile_archive_signed_with_stolen_keys_installs_nothing() {
    let repo = publish(&[("1.0", false), ("1.1", false)]);
    for (name, kind, link) in [
        ("./../escape.txt", tar::EntryType::Regular, None),
        ("/tmp/absolute.txt", tar::EntryType::Regular, None),
        ("./etc", tar::EntryType::Symlink, Some("/etc")),
        ("./hard", tar::EntryType::Link, Some("/etc/passwd")),
    ] {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_size(if kind == tar::EntryType::Regular {
            4
        } else {
            0
        });
        h.set_mode(0o644);
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        if let Some(l) = link {
            h.as_old_mut().linkname[..l.len()].copy_from_slice(l.as_bytes());
        }
        h.set_cksum();
        let data: &[u8] = if kind == tar::EntryType::Regular {
            b"evil"
        } else {
            b""
        };
        b.append(&h, data).unwrap();
        let tar_bytes = b.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, &tar_bytes).unwrap();
        let gz = gz.finish().unwrap();
        tufa_tests::resign::replace_target(&repo.proj, "demo-1.1.tar.gz", &gz);
        // The patch's tar_hash would catch it first: make it agree.
        let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&tar_bytes));
        let len = tar_bytes.len();
        tufa_tests::resign::edit_targets(&repo.proj, |signed| {
            signed["targets"]["demo-1.1.patch"]["custom"]["tufup"]["tar_hash"] = Value::from(hash);
            signed["targets"]["demo-1.1.patch"]["custom"]["tufup"]["tar_size"] = Value::from(len);
        });
        let c = Client::new(&repo, &format!("c-{}", name.len()), "1.0", false);
        let before = fingerprint(&c.install);
        let run = c.update(&repo, "1.0", &[]);
        assert_eq!(run.error_code(), "install_failed", "{name}: {run:#?}");
        assert!(
            run.stdout.contains("refusing archive entry"),
            "{name}: {run:#?}"
        );
        assert_eq!(fingerprint(&c.install), before, "{name}");
        assert!(!repo.tmp.path().join("c-escape.txt").exists());
        assert!(!Path::new("/tmp/absolute.txt").exists());
    }
}

fn snapshot_metadata(repo: &Repo) -> PathBuf {
    let copy = repo.tmp.path().join(format!(
        "md-copy-{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&copy).unwrap();
    for e in std::fs::read_dir(repo.proj.join("repository/metadata")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), copy.join(e.file_name())).unwrap();
    }
    copy
}

#[test]
fn rollback_of_timestamp_snapshot_or_targets_is_refused() {
    let repo = publish(&[("1.0", false), ("1.1", false)]);
    let old = snapshot_metadata(&repo);
    let b = bundle(repo.tmp.path(), "1.2", 2);
    add_release(&repo.proj, b.to_str().unwrap(), "1.2");
    let c = Client::new(&repo, "c", "1.0", true);
    c.update(&repo, "1.0", &["--check-only"]).json();
    let new = snapshot_metadata(&repo);
    for file in ["timestamp.json", "snapshot.json", "targets.json"] {
        // Serve the old version of one file, the rest current.
        repo.server.clear_faults();
        if file != "timestamp.json" {
            // Keep the chain consistent up to the rolled-back file.
            let ts = std::fs::read(new.join("timestamp.json")).unwrap();
            repo.server
                .fault("/metadata/timestamp.json", Fault::Replace(ts));
        }
        repo.server.fault(
            &format!("/metadata/{file}"),
            Fault::Replace(std::fs::read(old.join(file)).unwrap()),
        );
        let run = c.update(&repo, "1.0", &["--check-only"]);
        assert_eq!(run.error_code(), "verification_failed", "{file}: {run:#?}");
    }
    repo.server.clear_faults();
    // A client that never saw the new state takes the old one...
    // ...but ours did: serving everything old is a rollback too.
    for file in ["timestamp.json", "snapshot.json", "targets.json"] {
        repo.server.fault(
            &format!("/metadata/{file}"),
            Fault::Replace(std::fs::read(old.join(file)).unwrap()),
        );
    }
    assert_eq!(
        c.update(&repo, "1.0", &["--check-only"]).error_code(),
        "verification_failed"
    );
}

#[test]
fn mix_and_match_and_unknown_keys_are_refused() {
    let repo = publish(&[("1.0", false), ("1.1", false)]);
    let old = snapshot_metadata(&repo);
    let b = bundle(repo.tmp.path(), "1.2", 2);
    add_release(&repo.proj, b.to_str().unwrap(), "1.2");
    let c = Client::new(&repo, "c", "1.0", true);
    // New timestamp and snapshot, old targets: the snapshot pins another version.
    repo.server.fault(
        "/metadata/targets.json",
        Fault::Replace(std::fs::read(old.join("targets.json")).unwrap()),
    );
    assert_eq!(
        c.update(&repo, "1.0", &["--check-only"]).error_code(),
        "verification_failed"
    );
    repo.server.clear_faults();
    // A timestamp signed by a key root does not know.
    let mut ts: Value = serde_json::from_slice(
        &std::fs::read(repo.proj.join("repository/metadata/timestamp.json")).unwrap(),
    )
    .unwrap();
    let stranger = tufa::publisher::keys::generate_ed25519_pem().unwrap();
    ts["signed"]["version"] = Value::from(ts["signed"]["version"].as_u64().unwrap() + 1);
    tufa_tests::resign::sign_with_pem(&stranger, &"cd".repeat(32), &mut ts);
    repo.server.fault(
        "/metadata/timestamp.json",
        Fault::Replace(serde_json::to_vec(&ts).unwrap()),
    );
    assert_eq!(
        c.update(&repo, "1.0", &["--check-only"]).error_code(),
        "verification_failed"
    );
}

#[test]
fn endless_data_is_cut_off() {
    let repo = publish(&[("1.0", false), ("1.1", false)]);
    let c = Client::new(&repo, "c", "1.0", false);
    let before = fingerprint(&c.install);
    repo.server
        .fault("/targets/demo-1.1.tar.gz", Fault::Endless);
    let run = c.update(&repo, "1.0", &[]);
    assert_eq!(run.error_code(), "verification_failed", "{run:#?}");
    assert_eq!(fingerprint(&c.install), before);
    repo.server.clear_faults();
    repo.server
        .fault("/metadata/timestamp.json", Fault::Endless);
    let code = c.update(&repo, "1.0", &[]).error_code();
    assert!(code == "verification_failed" || code == "offline", "{code}");
}

#[test]
fn a_dropped_connection_resumes_where_it_stopped() {
    let repo = publish(&[("1.0", false), ("1.1", false)]);
    let c = Client::new(&repo, "c", "1.0", false);
    repo.server
        .fault("/targets/demo-1.1.tar.gz", Fault::DropOnceAfter(50_000));
    let v = c.update(&repo, "1.0", &[]).json();
    assert_eq!(fetched(&v), ["demo-1.1.tar.gz"]);
    assert_eq!(c.installed(), "1.1");
    let log = repo.server.log();
    assert!(
        log.iter()
            .any(|l| l.starts_with("GET /targets/demo-1.1.tar.gz range=50000-")),
        "no resume request in {log:?}"
    );
}

#[test]
fn a_crash_between_staging_and_swap_leaves_old_or_new() {
    let repo = publish(&[("1.0", false), ("1.1", false)]);
    for point in ["before-swap", "after-swap"] {
        let c = Client::new(&repo, &format!("c-{point}"), "1.0", true);
        let run = c.update_env(&repo, "1.0", &[], &[("TUFA_FAILPOINT", point)]);
        assert_eq!(run.code, None, "{point}: should have been killed: {run:#?}");
        let expect = if point == "before-swap" { "1.0" } else { "1.1" };
        assert_eq!(c.installed(), expect, "{point}");
        let bundle_dir = repo.tmp.path().join(format!("bundle-{expect}"));
        assert_eq!(
            fingerprint(&c.install),
            fingerprint(&bundle_dir),
            "{point}: a mix of versions"
        );
        // The next run cleans up and completes.
        let v = c.update(&repo, expect, &[]).json();
        if expect == "1.0" {
            assert_eq!(v["installed_version"], "1.1");
        }
        assert_eq!(c.installed(), "1.1");
        let parent = c.install.parent().unwrap();
        let leftovers: Vec<String> = std::fs::read_dir(parent)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("tufa"))
            .collect();
        assert!(leftovers.is_empty(), "{point}: {leftovers:?}");
    }
}

#[test]
fn root_rotation_reaches_the_client() {
    let repo = publish(&[("1.0", false), ("1.1", false)]);
    tufa(&repo.proj, &["--json", "sign", "root"]).json();
    let c = Client::new(&repo, "c", "1.0", true);
    c.update(&repo, "1.0", &[]).json();
    let root = read_json(&c.meta.join("root.json"));
    assert_eq!(
        root["signed"]["version"], 2,
        "the newer root is trusted from now on"
    );
}

/// Runs `tufa update --check-only` under a shifted clock (libfaketime).
fn check_at(c: &Client, repo: &Repo, shift: &str) -> Run {
    let md = format!("{}/metadata", repo.server.url);
    let tg = format!("{}/targets", repo.server.url);
    let out = std::process::Command::new("faketime")
        .args(["-f", shift])
        .arg(tufa_bin())
        .args([
            "--json",
            "update",
            "--app",
            "demo",
            "--current-version",
            "1.0",
            "--check-only",
        ])
        .arg("--install-dir")
        .arg(&c.install)
        .arg("--metadata-dir")
        .arg(&c.meta)
        .arg("--cache-dir")
        .arg(&c.cache)
        .args(["--metadata-url", &md, "--targets-url", &tg])
        .output()
        .expect("faketime is installed by scripts/setup.sh");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn clock_policy_survives_a_clock_set_back_without_weakening_expiry() {
    let repo = publish(&[("1.0", false), ("1.1", false)]);
    tufa(
        &repo.proj,
        &["--json", "sign", "timestamp", "--expires", "10"],
    )
    .json();
    let c = Client::new(&repo, "c", "1.0", true);

    // A successful check five days from now...
    let v = check_at(&c, &repo, "+5d").json();
    assert_eq!(v["update"]["version"], "1.1");
    // ...then the user sets the clock back: tough alone refuses to run
    // ("system time stepped backward"); Tufa keeps working.
    let back = check_at(&c, &repo, "+0d").json();
    assert_eq!(back["update"]["version"], "1.1");

    // A clock set far ahead sees expired metadata, but does not poison the
    // latest known time: with the clock right again, updates work.
    let ahead = check_at(&c, &repo, "+30d");
    assert_eq!(ahead.error_code(), "metadata_expired", "{ahead:#?}");
    check_at(&c, &repo, "+0d").json();

    // Freeze protection: the server now offers a timestamp that expires in
    // 3 days. The system clock says "today", but this client has already
    // seen day 5: the metadata counts as expired.
    tufa(
        &repo.proj,
        &["--json", "sign", "timestamp", "--expires", "3"],
    )
    .json();
    let frozen = check_at(&c, &repo, "+0d");
    assert_eq!(frozen.error_code(), "metadata_expired", "{frozen:#?}");
    // A fresh client, which never saw day 5, accepts it.
    let fresh = Client::new(&repo, "fresh", "1.0", true);
    check_at(&fresh, &repo, "+0d").json();
}
