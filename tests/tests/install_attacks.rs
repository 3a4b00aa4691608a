//! Attacks on the install step and the patch step by a repository whose
//! keys were stolen (everything below is validly signed), and an install
//! directory laid out as a symlink. Each test drives the real `tufa update`
//! over real HTTP.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tufa_tests::server::Server;
use tufa_tests::*;

struct Repo {
    tmp: tempfile::TempDir,
    proj: PathBuf,
    server: Server,
}

/// Publishes 1.0 (with user settings) and 1.1 and serves the repository.
fn publish() -> Repo {
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &[]);
    // Incompressible, so that a patch is worth it and the client takes it.
    let mut x = 7u64;
    let mut bin: Vec<u8> = (0..200_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    for (v, settings) in [("1.0", true), ("1.1", false)] {
        bin[5000..5010].copy_from_slice(format!("version{v:>3}").as_bytes());
        let dir = tmp.path().join(format!("bundle-{v}"));
        write_bundle(&dir, &[("VERSION", v.as_bytes()), ("app.bin", &bin)]);
        if settings {
            write_bundle(&dir, &[("settings/user.json", b"{\"theme\": \"default\"}")]);
        }
        add_release(&proj, dir.to_str().unwrap(), v);
    }
    let server = Server::start(proj.join("repository"));
    Repo { tmp, proj, server }
}

fn error_of(run: &Run) -> (String, String) {
    assert_eq!(run.code, Some(1), "expected failure: {run:#?}");
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    (
        v["error"]["code"].as_str().unwrap().to_string(),
        v["error"]["message"].as_str().unwrap().to_string(),
    )
}

/// A tar header with its name and link written raw: the tar crate's
/// helpers refuse hostile names, and the point is to send them.
fn raw_entry(b: &mut tar::Builder<Vec<u8>>, name: &str, kind: tar::EntryType, link: &str) {
    let data: &[u8] = if kind == tar::EntryType::Regular {
        link.as_bytes()
    } else {
        b""
    };
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_size(data.len() as u64);
    h.set_mode(if kind == tar::EntryType::Directory {
        0o755
    } else {
        0o644
    });
    h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
    if kind == tar::EntryType::Symlink {
        h.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
    }
    h.set_cksum();
    b.append(&h, data).unwrap();
}

/// Serves `tar_bytes` as release 1.1's archive, validly signed, with the
/// patch's tar_hash agreeing so that nothing before extraction objects.
fn serve_as_release_1_1(repo: &Repo, tar_bytes: &[u8]) {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, tar_bytes).unwrap();
    let gz = gz.finish().unwrap();
    resign::replace_target(&repo.proj, "demo-1.1.tar.gz", &gz);
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(tar_bytes));
    let len = tar_bytes.len();
    resign::edit_targets(&repo.proj, |signed| {
        signed["targets"]["demo-1.1.patch"]["custom"]["tufup"]["tar_hash"] = Value::from(hash);
        signed["targets"]["demo-1.1.patch"]["custom"]["tufup"]["tar_size"] = Value::from(len);
    });
}

/// Issue #11, part 5. Every link's *text* stays inside the tree, but on
/// disk `q` is the root, so `p` (`q/..`) is the directory holding the
/// install, and `settings` is `victim` beside it. Carrying the excluded
/// `settings/user.json` over would then write into `victim`.
#[test]
fn a_chain_of_symlinks_cannot_carry_settings_out_of_the_install() {
    let repo = publish();
    let mut b = tar::Builder::new(Vec::new());
    use tar::EntryType as T;
    raw_entry(&mut b, "./VERSION", T::Regular, "1.1");
    // `settings` and `p` come before `q`: when each is written, what it
    // points through does not exist yet, so only a check of the finished
    // tree sees where they lead.
    raw_entry(&mut b, "./settings", T::Symlink, "d1/d2/p/victim");
    raw_entry(&mut b, "./d1/", T::Directory, "");
    raw_entry(&mut b, "./d1/d2/", T::Directory, "");
    raw_entry(&mut b, "./d1/d2/p", T::Symlink, "q/..");
    raw_entry(&mut b, "./d1/d2/q", T::Symlink, "../..");
    serve_as_release_1_1(&repo, &b.into_inner().unwrap());

    let c = ClientDirs::install(&repo.tmp.path().join("c"), &repo.proj, Some("1.0"), false);
    std::fs::write(
        c.install.join("settings/user.json"),
        b"{\"theme\": \"mine\"}",
    )
    .unwrap();
    let victim = c.install.with_file_name("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::write(victim.join("keep.txt"), b"untouched").unwrap();
    let (install_before, victim_before) = (fingerprint(&c.install), fingerprint(&victim));

    let run = c.update(
        &repo.proj,
        "1.0",
        &repo.server.url,
        &["--exclude", "settings/user.json"],
    );
    let (code, message) = error_of(&run);
    assert_eq!(code, "install_failed", "{run:#?}");
    assert!(
        message.contains("refusing archive entry: symlink 'settings' resolves outside the tree"),
        "{message}"
    );
    assert_eq!(
        fingerprint(&victim),
        victim_before,
        "wrote outside the install"
    );
    assert!(!victim.join("user.json").exists());
    assert_eq!(fingerprint(&c.install), install_before);
    assert!(!c.install.with_file_name("install.tufa-staging").exists());
}

/// Even when the new version's links all stay inside, the carry-over never
/// writes through one: an excluded path below a symlink is refused.
#[test]
fn carry_over_never_writes_through_a_symlink() {
    let repo = publish();
    let mut b = tar::Builder::new(Vec::new());
    use tar::EntryType as T;
    raw_entry(&mut b, "./VERSION", T::Regular, "1.1");
    raw_entry(&mut b, "./data/", T::Directory, "");
    raw_entry(&mut b, "./settings", T::Symlink, "data");
    serve_as_release_1_1(&repo, &b.into_inner().unwrap());
    let c = ClientDirs::install(&repo.tmp.path().join("c"), &repo.proj, Some("1.0"), false);
    let before = fingerprint(&c.install);
    let run = c.update(
        &repo.proj,
        "1.0",
        &repo.server.url,
        &["--exclude", "settings/user.json"],
    );
    let (code, message) = error_of(&run);
    assert_eq!(code, "install_failed", "{run:#?}");
    assert!(
        message
            .contains("'settings/user.json' would be carried over through the symlink 'settings'"),
        "{message}"
    );
    assert_eq!(fingerprint(&c.install), before);
}

/// bzip2 of `gib` GiB of zero bytes: control entries (0, 0, 0), by the
/// million, in a few bytes per MiB. Concatenated streams decode as one;
/// each holds 24 MiB, a whole number of 24-byte entries.
fn zero_control(gib: usize) -> Vec<u8> {
    let mut enc = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
    std::io::Write::write_all(&mut enc, &vec![0u8; 24 << 20]).unwrap();
    let stream = enc.finish().unwrap();
    stream.repeat(gib * 1024 / 24)
}

fn bz2_empty() -> Vec<u8> {
    bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best())
        .finish()
        .unwrap()
}

/// Issue #11, part 6. A patch of a few KB whose control block expands to
/// 4 GiB of entries that do nothing: refused at the second entry (it used
/// to spin through all of them; bsdiff may start with one), and the
/// update falls back to the full archive.
#[test]
fn a_tiny_patch_that_expands_to_empty_entries_is_refused_quickly() {
    let repo = publish();
    let targets = read_json(&repo.proj.join("repository/metadata/targets.json"));
    let tar_size = targets["signed"]["targets"]["demo-1.1.patch"]["custom"]["tufup"]["tar_size"]
        .as_u64()
        .unwrap();
    let control = zero_control(4);
    let (diff, extra) = (bz2_empty(), bz2_empty());
    let mut patch = b"BSDIFF40".to_vec();
    for n in [control.len() as u64, diff.len() as u64, tar_size] {
        patch.extend_from_slice(&n.to_le_bytes());
    }
    patch.extend_from_slice(&control);
    patch.extend_from_slice(&diff);
    patch.extend_from_slice(&extra);
    assert!(patch.len() < 16_000, "{} bytes", patch.len());
    resign::replace_target(&repo.proj, "demo-1.1.patch", &patch);

    let c = ClientDirs::install(&repo.tmp.path().join("c"), &repo.proj, Some("1.0"), true);
    let started = Instant::now();
    let v = c.update(&repo.proj, "1.0", &repo.server.url, &[]).json();
    let took = started.elapsed();
    assert_eq!(v["update"]["method"], "patch", "{v}");
    let why = v["fell_back"].as_str().unwrap();
    assert!(
        why.contains("the patch is corrupt: control entry 2 does nothing"),
        "{why}"
    );
    let fetched: Vec<&str> = v["fetched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(fetched, ["demo-1.1.patch", "demo-1.1.tar.gz"]);
    assert_eq!(std::fs::read(c.install.join("VERSION")).unwrap(), b"1.1");
    // The whole update, debug build included; spinning through the
    // entries took tens of seconds.
    assert!(took < Duration::from_secs(15), "took {took:?}");
}

/// Issue #11, part 8a. `app -> app-1.0`: the new version goes beside
/// `app-1.0`, the link is replaced atomically to point at it, the old
/// version directory is removed, and excluded settings come along.
#[test]
fn an_install_dir_that_is_a_symlink_stays_a_symlink() {
    let repo = publish();
    let base = repo.tmp.path().join("c");
    let (meta, cache) = (base.join("meta"), base.join("cache"));
    for d in [&meta, &cache] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::copy(
        repo.proj.join("repository/metadata/1.root.json"),
        meta.join("root.json"),
    )
    .unwrap();
    let versions = base.join("versions");
    let old = versions.join("app-1.0");
    let tar = unpack_release(&repo.proj.join("repository/targets/demo-1.0.tar.gz"), &old);
    std::fs::write(cache.join("demo-1.0.tar"), tar).unwrap();
    std::fs::write(old.join("settings/user.json"), b"mine").unwrap();
    let link = base.join("app");
    std::os::unix::fs::symlink("versions/app-1.0", &link).unwrap();

    let at = Install {
        install: &link,
        meta: &meta,
        cache: &cache,
    };
    let extra = ["--exclude", "settings/user.json"];
    let v = update_app(&repo.proj, &at, "1.0", &repo.server.url, &extra, &[]).json();
    assert_eq!(v["installed_version"], "1.1", "{v}");

    let md = std::fs::symlink_metadata(&link).unwrap();
    assert!(md.file_type().is_symlink(), "the link became a directory");
    // Relative as it was, to the new version beside the old one.
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        Path::new("versions/demo-1.1")
    );
    assert_eq!(std::fs::read(link.join("VERSION")).unwrap(), b"1.1");
    assert_eq!(
        std::fs::read(link.join("settings/user.json")).unwrap(),
        b"mine"
    );
    assert!(!old.exists(), "the old version was left behind");
    let mut left: Vec<String> = std::fs::read_dir(&versions)
        .unwrap()
        .chain(std::fs::read_dir(&base).unwrap())
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["app", "cache", "demo-1.1", "meta", "versions"]);

    // A link to a link (`current -> app -> versions/demo-1.1`) is not a
    // layout to guess about: refused, nothing changed.
    let outer = base.join("current");
    std::os::unix::fs::symlink("app", &outer).unwrap();
    let at = Install {
        install: &outer,
        meta: &meta,
        cache: &cache,
    };
    let before = fingerprint(&versions);
    let run = update_app(&repo.proj, &at, "1.0", &repo.server.url, &[], &[]);
    let (code, message) = error_of(&run);
    assert_eq!(code, "install_failed", "{run:#?}");
    assert!(message.contains("is a symlink to a symlink"), "{message}");
    assert_eq!(fingerprint(&versions), before);
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        Path::new("versions/demo-1.1")
    );
}

/// An embedding app cancels while patches apply: the update stops with
/// `Cancelled`, does not fall back to downloading the full archive, and
/// leaves no new tar in the cache.
#[test]
fn an_app_can_cancel_patching() {
    let repo = publish();
    let c = ClientDirs::install(&repo.tmp.path().join("c"), &repo.proj, Some("1.0"), true);
    let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let updater = tufa::client::Updater::builder("demo", "1.0")
        .install_dir(&c.install)
        .metadata_dir(&c.meta)
        .cache_dir(&c.cache)
        .metadata_url(&format!("{}/metadata", repo.server.url))
        .targets_url(&format!("{}/targets", repo.server.url))
        .cancel_flag(cancel.clone())
        .build()
        .unwrap();
    let updater = tufa::client::BlockingUpdater::new(updater).unwrap();
    let plan = updater.check().unwrap().expect("an update");
    assert_eq!(plan.method, tufa::client::Method::Patch);
    let downloaded = updater.download(&plan, &mut |_| {}).unwrap();
    cancel.store(true, std::sync::atomic::Ordering::Relaxed);
    let err = updater.apply(downloaded).unwrap_err();
    assert!(
        matches!(
            err,
            tufa::client::UpdateError::Engine(tufa::Error::Cancelled)
        ),
        "{err}"
    );
    assert!(
        !repo
            .server
            .log()
            .iter()
            .any(|l| l.contains("demo-1.1.tar.gz")),
        "fell back to the archive: {:?}",
        repo.server.log()
    );
    assert!(!c.cache.join("demo-1.1.tar").exists());
    assert_eq!(std::fs::read(c.install.join("VERSION")).unwrap(), b"1.0");
}
