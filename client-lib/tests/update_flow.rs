//! The library's two halves working together, without the CLI: releases
//! published with `Publisher` into a folder served over HTTP on 127.0.0.1,
//! installs updated with `Updater`/`BlockingUpdater` (check, download,
//! apply, install), and the errors an app sees when something is wrong.

mod common;

use common::{contents, publish_two, write_bundle, Client, Server};
use std::path::{Path, PathBuf};
use tufa::client::{BlockingUpdater, InstallOptions, Method, UpdateError};
use tufa::progress::NoProgress;
use tufa::publisher::{AddRequest, InitOptions, Publisher};

fn b11_app(dir: &Path) -> PathBuf {
    dir.join("b11/app.bin")
}

fn names(files: &[tufa::client::PlannedFile]) -> Vec<&str> {
    files.iter().map(|f| f.name.as_str()).collect()
}

#[tokio::test]
async fn publish_then_update_through_the_patch() {
    let tmp = tempfile::tempdir().unwrap();
    let (publisher, b11) = publish_two(tmp.path());
    let server = Server::start(&publisher.repo());
    let client = Client::install(&tmp.path().join("c"), &publisher.repo(), "1.0", true);
    let updater = client.updater("1.0", &server).build().unwrap();

    let plan = updater.check().await.unwrap().expect("an update");
    assert_eq!(plan.version.to_string(), "1.1");
    assert_eq!(plan.method, Method::Patch);
    assert_eq!(names(&plan.files), ["demo-1.1.patch"]);
    assert_eq!(plan.user, Some(serde_json::json!({"notes": "faster"})));
    assert!(!plan.required);

    let mut last = None;
    let downloaded = updater
        .download(&plan, &mut |p| last = Some((p.done, p.total)))
        .await
        .unwrap();
    assert_eq!(last, Some((plan.total_bytes, plan.total_bytes)));
    assert_eq!(downloaded.fell_back, None);
    let applied = updater.apply(downloaded).await.unwrap();
    assert_eq!(applied.version.to_string(), "1.1");
    assert_eq!(names(&applied.fetched), ["demo-1.1.patch"]);
    updater
        .install(
            &applied,
            &InstallOptions {
                purge: true,
                ..Default::default()
            },
        )
        .unwrap();

    assert_eq!(contents(&client.install), contents(&b11));
    assert!(client.cache.join("demo-1.1.tar").exists());
    assert!(
        !client.cache.join("demo-1.0.tar").exists(),
        "only the newest tar is kept"
    );
    assert!(
        !server.requests().iter().any(|r| r.ends_with(".tar.gz")),
        "the full archive was not downloaded: {:?}",
        server.requests()
    );
    let again = client.updater("1.1", &server).build().unwrap();
    assert!(again.check().await.unwrap().is_none(), "up to date");
}

#[test]
fn full_archive_without_a_cached_tar_or_with_patches_off() {
    let tmp = tempfile::tempdir().unwrap();
    let (publisher, b11) = publish_two(tmp.path());
    let server = Server::start(&publisher.repo());

    let uncached = Client::install(&tmp.path().join("u"), &publisher.repo(), "1.0", false);
    let u = BlockingUpdater::new(uncached.updater("1.0", &server).build().unwrap()).unwrap();
    let plan = u.check().unwrap().expect("an update");
    assert_eq!(plan.method, Method::Full);
    assert_eq!(names(&plan.files), ["demo-1.1.tar.gz"]);
    let applied = u.apply(u.download(&plan, &mut |_| {}).unwrap()).unwrap();
    u.install(
        &applied,
        &InstallOptions {
            purge: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(contents(&uncached.install), contents(&b11));

    let cached = Client::install(&tmp.path().join("c"), &publisher.repo(), "1.0", true);
    let c = BlockingUpdater::new(
        cached
            .updater("1.0", &server)
            .patches(false)
            .build()
            .unwrap(),
    )
    .unwrap();
    let plan = c.check().unwrap().expect("an update");
    assert_eq!(plan.method, Method::Full);
    assert_eq!(names(&plan.files), ["demo-1.1.tar.gz"]);
}

#[test]
fn a_patch_that_does_not_verify_falls_back_to_the_archive() {
    let tmp = tempfile::tempdir().unwrap();
    let (publisher, b11) = publish_two(tmp.path());
    let patch = publisher.repo().join("targets/demo-1.1.patch");
    let len = std::fs::metadata(&patch).unwrap().len() as usize;
    std::fs::write(&patch, vec![0u8; len]).unwrap();
    let server = Server::start(&publisher.repo());
    let client = Client::install(&tmp.path().join("c"), &publisher.repo(), "1.0", true);
    let u = BlockingUpdater::new(client.updater("1.0", &server).build().unwrap()).unwrap();

    let plan = u.check().unwrap().expect("an update");
    assert_eq!(plan.method, Method::Patch);
    let downloaded = u.download(&plan, &mut |_| {}).unwrap();
    assert!(
        downloaded
            .fell_back
            .as_deref()
            .is_some_and(|why| why.starts_with("demo-1.1.patch")),
        "{:?}",
        downloaded.fell_back
    );
    assert_eq!(names(&downloaded.fetched), ["demo-1.1.tar.gz"]);
    let applied = u.apply(downloaded).unwrap();
    u.install(&applied, &InstallOptions::default()).unwrap();
    assert_eq!(
        std::fs::read(client.install.join("app.bin")).unwrap(),
        std::fs::read(b11.join("app.bin")).unwrap()
    );
}

#[test]
fn an_archive_that_does_not_verify_is_refused_and_nothing_installed() {
    let tmp = tempfile::tempdir().unwrap();
    let (publisher, _) = publish_two(tmp.path());
    let archive = publisher.repo().join("targets/demo-1.1.tar.gz");
    let len = std::fs::metadata(&archive).unwrap().len() as usize;
    std::fs::write(&archive, vec![1u8; len]).unwrap();
    let server = Server::start(&publisher.repo());
    let client = Client::install(&tmp.path().join("c"), &publisher.repo(), "1.0", false);
    let before = contents(&client.install);
    let u = BlockingUpdater::new(client.updater("1.0", &server).build().unwrap()).unwrap();

    let plan = u.check().unwrap().expect("an update");
    let err = u.download(&plan, &mut |_| {}).unwrap_err();
    assert!(matches!(err, UpdateError::Verification(_)), "{err:?}");
    assert_eq!(err.code(), "verification_failed");
    assert_eq!(contents(&client.install), before);
}

#[test]
fn a_required_release_comes_first_unless_ignored() {
    let tmp = tempfile::tempdir().unwrap();
    let (publisher, _) = publish_two(tmp.path());
    let b20 = tmp.path().join("b20");
    let mut app = std::fs::read(b11_app(tmp.path())).unwrap();
    app[5_000..5_100].fill(8);
    write_bundle(&b20, &[("app.bin", &app), ("VERSION", b"2.0")]);
    // 2.0 is required, 3.0 follows it.
    let mut req = AddRequest::new(&b20, "2.0");
    req.required = true;
    publisher.add(&req, &mut NoProgress).unwrap();
    let b30 = tmp.path().join("b30");
    app[9_000..9_100].fill(9);
    write_bundle(&b30, &[("app.bin", &app), ("VERSION", b"3.0")]);
    publisher
        .add(&AddRequest::new(&b30, "3.0"), &mut NoProgress)
        .unwrap();
    let server = Server::start(&publisher.repo());
    let client = Client::install(&tmp.path().join("c"), &publisher.repo(), "1.0", true);

    let u = BlockingUpdater::new(client.updater("1.0", &server).build().unwrap()).unwrap();
    let plan = u.check().unwrap().expect("an update");
    assert_eq!(plan.version.to_string(), "2.0");
    assert!(plan.required);
    assert_eq!(names(&plan.files), ["demo-1.1.patch", "demo-2.0.patch"]);

    let skip = BlockingUpdater::new(
        client
            .updater("1.0", &server)
            .ignore_required(true)
            .build()
            .unwrap(),
    )
    .unwrap();
    let plan = skip.check().unwrap().expect("an update");
    assert_eq!(plan.version.to_string(), "3.0");
}

#[test]
fn an_unreachable_server_is_offline() {
    let tmp = tempfile::tempdir().unwrap();
    let (publisher, _) = publish_two(tmp.path());
    let client = Client::install(&tmp.path().join("c"), &publisher.repo(), "1.0", true);
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let u = tufa::client::Updater::builder("demo", "1.0")
        .install_dir(&client.install)
        .metadata_dir(&client.meta)
        .cache_dir(&client.cache)
        .metadata_url(&format!("http://127.0.0.1:{port}/metadata"))
        .targets_url(&format!("http://127.0.0.1:{port}/targets"))
        .build()
        .unwrap();
    let err = BlockingUpdater::new(u).unwrap().check().unwrap_err();
    assert!(matches!(err, UpdateError::Offline(_)), "{err:?}");
    assert_eq!(err.code(), "offline");
}

#[test]
fn metadata_signed_by_another_repository_does_not_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let (publisher, _) = publish_two(tmp.path());
    let (other, _) = Publisher::init(&tmp.path().join("other"), &InitOptions::new("demo")).unwrap();
    let server = Server::start(&publisher.repo());
    let client = Client::install(&tmp.path().join("c"), &publisher.repo(), "1.0", true);
    // The app shipped the other repository's root.
    std::fs::copy(
        other.repo().join("metadata/1.root.json"),
        client.meta.join("root.json"),
    )
    .unwrap();
    let u = BlockingUpdater::new(client.updater("1.0", &server).build().unwrap()).unwrap();
    let err = u.check().unwrap_err();
    assert!(matches!(err, UpdateError::Verification(_)), "{err:?}");
}

#[test]
fn publisher_refuses_a_version_not_above_the_latest() {
    let tmp = tempfile::tempdir().unwrap();
    let (publisher, b11) = publish_two(tmp.path());
    let before = std::fs::read(publisher.repo().join("metadata/targets.json")).unwrap();
    for version in ["1.1", "1.0.5"] {
        let err = publisher
            .add(&AddRequest::new(&b11, version), &mut NoProgress)
            .unwrap_err();
        assert_eq!(err.code(), "version_not_newer", "{version}: {err:?}");
    }
    assert_eq!(
        std::fs::read(publisher.repo().join("metadata/targets.json")).unwrap(),
        before,
        "nothing published"
    );
}

#[test]
fn publisher_open_without_a_project_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let err = Publisher::open(tmp.path()).unwrap_err();
    assert_eq!(err.code(), "no_project", "{err:?}");
}
