//! What an embedding app relies on beyond check/download/apply/install:
//! the trusted root given as bytes, the one-call `update()`, progress
//! events, and cancellation that leaves nothing half-written.

mod common;

use common::{contents, noise, unpack_release, write_bundle, Server};
use std::path::{Path, PathBuf};
use tufa::client::{Cancel, InstallOptions, UpdateError, UpdatePhase, UpdateProgress, Updater};
use tufa::progress::NoProgress;
use tufa::publisher::{AddRequest, InitOptions, Publisher};

/// Releases 1.0 and 1.1 of `demo`, large enough (2 MB that do not
/// compress) for downloads and patching to report progress several times.
fn publish(dir: &Path) -> (Publisher, PathBuf) {
    let (publisher, _) =
        Publisher::init(&dir.join("proj"), &InitOptions::new("demo")).expect("init");
    let app = noise(2_000_000, 7);
    let b10 = dir.join("b10");
    write_bundle(&b10, &[("app.bin", &app), ("VERSION", b"1.0")]);
    let mut changed = app.clone();
    changed[1_000..2_000].fill(3);
    let b11 = dir.join("b11");
    write_bundle(&b11, &[("app.bin", &changed), ("VERSION", b"1.1")]);
    for (bundle, version) in [(&b10, "1.0"), (&b11, "1.1")] {
        publisher
            .add(&AddRequest::new(bundle, version), &mut NoProgress)
            .expect("add");
    }
    (publisher, b11)
}

/// An install of 1.0 with the trusted root given as bytes: the metadata
/// dir does not exist, only the install and (when `cache_tar`) the tar
/// patches start from.
struct App {
    install: PathBuf,
    cache: PathBuf,
    root: Vec<u8>,
}

impl App {
    fn install(base: &Path, repo: &Path, cache_tar: bool) -> App {
        let app = App {
            install: base.join("install"),
            cache: base.join("cache"),
            root: std::fs::read(repo.join("metadata/1.root.json")).expect("root"),
        };
        let tar = unpack_release(&repo.join("targets/demo-1.0.tar.gz"), &app.install);
        if cache_tar {
            std::fs::create_dir_all(&app.cache).expect("mkdir");
            std::fs::write(app.cache.join("demo-1.0.tar"), tar).expect("cache tar");
        }
        app
    }

    fn updater(&self, server: &Server, cancel: &Cancel) -> tufa::client::UpdaterBuilder {
        Updater::builder("demo", "1.0")
            .trusted_root(&self.root)
            .install_dir(&self.install)
            .cache_dir(&self.cache)
            .metadata_url(&format!("{}/metadata", server.url))
            .targets_url(&format!("{}/targets", server.url))
            .cancel(cancel.clone())
            .install_options(InstallOptions {
                purge: true,
                ..Default::default()
            })
    }

    /// Files in the cache (recursively), relative, sorted.
    fn cache_files(&self) -> Vec<String> {
        contents(&self.cache).into_iter().map(|(p, _)| p).collect()
    }
}

#[tokio::test]
async fn a_trusted_root_as_bytes_starts_from_an_empty_metadata_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let (publisher, b11) = publish(tmp.path());
    let server = Server::start(&publisher.repo());
    let app = App::install(&tmp.path().join("c"), &publisher.repo(), true);
    let metadata_dir = app.cache.join("metadata");
    assert!(!metadata_dir.exists());

    let updater = app.updater(&server, &Cancel::new()).build().unwrap();
    let mut events: Vec<UpdateProgress> = Vec::new();
    let applied = updater
        .update(&mut |p| events.push(p))
        .await
        .unwrap()
        .expect("an update");

    assert_eq!(applied.version.to_string(), "1.1");
    assert_eq!(contents(&app.install), contents(&b11));
    // The library created the metadata dir and keeps the root there.
    assert_eq!(
        std::fs::read(metadata_dir.join("root.json")).unwrap(),
        app.root
    );
    let mut phases: Vec<UpdatePhase> = events.iter().map(|e| e.phase).collect();
    phases.dedup();
    assert_eq!(
        phases,
        [
            UpdatePhase::Checking,
            UpdatePhase::Downloading,
            UpdatePhase::Patching,
            UpdatePhase::Installing
        ]
    );
    let download = events
        .iter()
        .rfind(|e| e.phase == UpdatePhase::Downloading)
        .unwrap();
    assert_eq!(download.file, "demo-1.1.patch");
    assert_eq!(download.done, download.total);
    let patching: Vec<&UpdateProgress> = events
        .iter()
        .filter(|e| e.phase == UpdatePhase::Patching)
        .collect();
    assert!(patching.len() > 3, "{patching:?}");
    assert!(patching.windows(2).all(|w| w[0].done <= w[1].done));
    assert_eq!(patching.last().map(|e| e.done), Some(patching[0].total));
    assert!(events.iter().any(|e| e.bytes_per_sec > 0), "{events:?}");

    // Up to date now (the updater of the new version starts from the
    // stored root, which is as new as the shipped one).
    let again = Updater::builder("demo", "1.1")
        .trusted_root(&app.root)
        .install_dir(&app.install)
        .cache_dir(&app.cache)
        .metadata_url(&format!("{}/metadata", server.url))
        .targets_url(&format!("{}/targets", server.url))
        .build()
        .unwrap();
    assert!(again.update(&mut |_| {}).await.unwrap().is_none());
}

#[test]
fn bytes_that_are_not_a_signed_root_are_a_config_error() {
    let tmp = tempfile::tempdir().unwrap();
    let (publisher, _) = publish(tmp.path());
    let mut root = std::fs::read(publisher.repo().join("metadata/1.root.json")).unwrap();
    for (what, bytes) in [
        ("not JSON", b"{".to_vec()),
        ("an unsigned change", {
            let i = root.windows(7).position(|w| w == b"expires").unwrap();
            root[i + 12] ^= 1;
            root
        }),
    ] {
        let err = Updater::builder("demo", "1.0")
            .trusted_root(&bytes)
            .install_dir(tmp.path().join("i"))
            .cache_dir(tmp.path().join("c"))
            .metadata_url("http://127.0.0.1:9/metadata")
            .targets_url("http://127.0.0.1:9/targets")
            .build()
            .unwrap_err();
        assert!(
            matches!(&err, UpdateError::Config(m) if m.contains("trusted root")),
            "{what}: {err:?}"
        );
    }
}

#[tokio::test]
async fn a_cancelled_download_leaves_nothing_and_the_next_update_succeeds() {
    let tmp = tempfile::tempdir().unwrap();
    let (publisher, b11) = publish(tmp.path());
    let server = Server::start(&publisher.repo());
    // No cached tar: the full archive (2 MB, many chunks) is downloaded.
    let app = App::install(&tmp.path().join("c"), &publisher.repo(), false);
    let before = contents(&app.install);
    let cancel = Cancel::new();
    let updater = app.updater(&server, &cancel).build().unwrap();

    let (c, mut cancelled_at) = (cancel.clone(), None);
    let err = updater
        .update(&mut |p| {
            if p.phase == UpdatePhase::Downloading && p.done > 0 && cancelled_at.is_none() {
                assert!(p.done < p.total, "midway: {p:?}");
                cancelled_at = Some(p.done);
                c.cancel();
            }
        })
        .await
        .unwrap_err();
    assert!(err.is_cancelled(), "{err:?}");
    assert_eq!(err.code(), "cancelled");
    assert!(cancelled_at.is_some());
    assert_eq!(contents(&app.install), before, "install untouched");
    // Only the trusted metadata: no partial download, no tar.
    let left: Vec<String> = app
        .cache_files()
        .into_iter()
        .filter(|f| !f.starts_with("tuf/") && !f.starts_with("metadata/"))
        .filter(|f| f != "latest-known-time.json")
        .collect();
    assert!(left.is_empty(), "{left:?}");

    cancel.reset();
    let applied = updater.update(&mut |_| {}).await.unwrap().expect("update");
    assert_eq!(applied.version.to_string(), "1.1");
    assert_eq!(contents(&app.install), contents(&b11));
}

#[tokio::test]
async fn a_cancelled_patch_application_leaves_nothing_and_the_next_update_succeeds() {
    let tmp = tempfile::tempdir().unwrap();
    let (publisher, b11) = publish(tmp.path());
    let server = Server::start(&publisher.repo());
    let app = App::install(&tmp.path().join("c"), &publisher.repo(), true);
    let before = contents(&app.install);
    let cached_before = std::fs::read(app.cache.join("demo-1.0.tar")).unwrap();
    let cancel = Cancel::new();
    let updater = app.updater(&server, &cancel).build().unwrap();

    let (c, mut cancelled_at) = (cancel.clone(), None);
    let err = updater
        .update(&mut |p| {
            if p.phase == UpdatePhase::Patching && p.done > 0 && cancelled_at.is_none() {
                assert!(p.done < p.total, "midway: {p:?}");
                cancelled_at = Some(p.done);
                c.cancel();
            }
        })
        .await
        .unwrap_err();
    assert!(err.is_cancelled(), "{err:?}");
    assert!(cancelled_at.is_some());
    assert_eq!(contents(&app.install), before, "install untouched");
    // The old tar is intact, no new or partial tar (nor a temporary file)
    // is left, and the full archive was not fetched as a "fallback".
    assert_eq!(
        std::fs::read(app.cache.join("demo-1.0.tar")).unwrap(),
        cached_before
    );
    let tars: Vec<String> = app
        .cache_files()
        .into_iter()
        .filter(|f| f.ends_with(".tar") || f.contains(".tufa-tmp") || f.ends_with(".part"))
        .collect();
    assert_eq!(tars, ["demo-1.0.tar"]);
    assert!(
        !server.requests().iter().any(|r| r.ends_with(".tar.gz")),
        "{:?}",
        server.requests()
    );

    cancel.reset();
    let applied = updater.update(&mut |_| {}).await.unwrap().expect("update");
    assert_eq!(applied.fell_back, None, "the patch was not blamed");
    assert_eq!(contents(&app.install), contents(&b11));
}

#[test]
fn the_blocking_updater_updates_in_one_call_too() {
    let tmp = tempfile::tempdir().unwrap();
    let (publisher, b11) = publish(tmp.path());
    let server = Server::start(&publisher.repo());
    let app = App::install(&tmp.path().join("c"), &publisher.repo(), true);
    let updater =
        tufa::client::BlockingUpdater::new(app.updater(&server, &Cancel::new()).build().unwrap())
            .unwrap();
    let mut last = None;
    let applied = updater
        .update(&mut |p| last = Some(p.phase))
        .unwrap()
        .expect("update");
    assert_eq!(applied.version.to_string(), "1.1");
    assert_eq!(last, Some(UpdatePhase::Installing));
    assert_eq!(contents(&app.install), contents(&b11));
}

#[tokio::test]
async fn the_apps_own_http_client_carries_the_update() {
    let tmp = tempfile::tempdir().unwrap();
    let (publisher, b11) = publish(tmp.path());
    let server = Server::start(&publisher.repo());
    let app = App::install(&tmp.path().join("c"), &publisher.repo(), true);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .unwrap();
    let http = tufa::client::HttpOptions {
        client: Some(client),
        ..Default::default()
    };
    let updater = app
        .updater(&server, &Cancel::new())
        .http(http)
        .build()
        .unwrap();
    assert!(format!("{updater:?}").contains("<the app's>"));
    updater.update(&mut |_| {}).await.unwrap().expect("update");
    assert_eq!(contents(&app.install), contents(&b11));
}
