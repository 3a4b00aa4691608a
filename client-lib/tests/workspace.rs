//! The publisher's workspace functions the app builds on: the staged
//! change signed with a key brought from elsewhere, local vs. published
//! after an upload, the saved destination, and removal previews.
// Publisher functions: only with the feature (a client-only build skips it).
#![cfg(feature = "publisher")]

mod common;

use common::write_bundle;
use std::path::Path;
use tufa::metadata::TopRole;
use tufa::progress::NoProgress;
use tufa::publisher::keys::{signer_from_file, NoSecrets};
use tufa::publisher::upload::{Destination, S3Options};
use tufa::publisher::{AddRequest, InitOptions, KeyStore, Publisher};
use tufa::Error;

fn add(p: &Publisher, dir: &Path, version: &str, fill: u8) -> bool {
    let bundle = dir.join(format!("b{version}"));
    write_bundle(
        &bundle,
        &[("app.bin", &[fill; 4000]), ("VERSION", version.as_bytes())],
    );
    let (_, outcome) = p
        .add(&AddRequest::new(&bundle, version), &mut NoProgress)
        .expect("add");
    outcome.published
}

#[test]
fn staged_change_signed_with_a_key_file_then_published_and_uploaded() {
    let tmp = tempfile::tempdir().unwrap();
    let mut opts = InitOptions::new("demo");
    opts.key_store = KeyStore::File;
    opts.thresholds.insert(TopRole::Targets, 2);
    let (p, _) = Publisher::init(&tmp.path().join("proj"), &opts).expect("init");
    let away = tmp.path().join("targets-2.pem");
    std::fs::rename(p.dir().join("keys/targets-2.pem"), &away).unwrap();

    assert!(
        !add(&p, tmp.path(), "1.0", 1),
        "one of two targets keys: staged"
    );
    let staged = p.staged_change().unwrap();
    assert_eq!(staged.roles.len(), 1);
    assert_eq!(staged.roles[0].role, TopRole::Targets);
    assert_eq!(
        (staged.roles[0].signatures, staged.roles[0].threshold),
        (1, 2)
    );
    assert_eq!(staged.roles[0].unsigned_keys, vec!["targets-2".to_string()]);
    assert_eq!(staged.files, vec!["demo-1.0.tar.gz".to_string()]);

    // A key of no staged role adds nothing and says so.
    let root = signer_from_file(&p.dir().join("keys/root.pem"), &NoSecrets).unwrap();
    match p.sign_staged(Some(&root)) {
        Err(Error::BadKey { reason, .. }) => assert!(reason.contains("not a key of a staged role")),
        other => panic!("expected BadKey, got {other:?}"),
    }
    let second = signer_from_file(&away, &NoSecrets).unwrap();
    let outcome = p.sign_staged(Some(&second)).unwrap();
    assert!(outcome.published);
    assert!(p.staged_change().unwrap().is_empty());
    assert!(matches!(p.sign_staged(None), Err(Error::NothingStaged)));

    // Never uploaded: everything is local only.
    let state = p.published_state().unwrap();
    assert!(state.last_upload.is_none());
    assert!(state
        .not_uploaded
        .contains(&"targets/demo-1.0.tar.gz".to_string()));
    let www = tmp.path().join("www");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(p.upload(&Destination::Dir(www.clone()), &S3Options::default()))
        .unwrap();
    let state = p.published_state().unwrap();
    assert_eq!(state.changes(), 0, "{state:?}");
    assert_eq!(state.last_destination.as_deref(), www.to_str());

    // A timestamp refresh is one change the server lacks.
    p.sign(TopRole::Timestamp, None).unwrap();
    let state = p.published_state().unwrap();
    assert_eq!(
        state.not_uploaded,
        vec!["metadata/timestamp.json".to_string()]
    );
}

#[test]
fn destination_saved_in_the_project_and_removals_previewed() {
    let tmp = tempfile::tempdir().unwrap();
    let mut opts = InitOptions::new("demo");
    opts.key_store = KeyStore::File;
    let (mut p, _) = Publisher::init(&tmp.path().join("proj"), &opts).expect("init");
    assert!(matches!(
        p.save_destination("ftp://host/x", None, None),
        Err(Error::InvalidDestination { .. })
    ));
    p.save_destination("www", Some(" "), None).unwrap();
    let again = Publisher::open(p.dir()).unwrap();
    let saved = again.project().publish.clone().unwrap();
    assert_eq!((saved.to.as_str(), saved.endpoint), ("www", None));
    assert_eq!(
        again.destination(None, None, None).unwrap().destination,
        Destination::Dir(p.dir().join("www"))
    );

    for (v, fill) in [("1.0", 1), ("1.1", 2), ("1.2", 3)] {
        assert!(add(&again, tmp.path(), v, fill));
    }
    let latest_size = again.status().unwrap().releases[2].archive_size;
    let prune = again.preview_prune(1).unwrap();
    assert_eq!(prune.removed, vec!["1.0", "1.1"]);
    assert_eq!(prune.stranded.len(), 2);
    assert_eq!(prune.stranded[0].to_version.as_deref(), Some("1.2"));
    assert_eq!(prune.stranded[0].share, 100);
    assert_eq!(prune.stranded[0].bytes, latest_size);
    assert!(prune.files.contains(&"demo-1.0.tar.gz".to_string()));
    assert!(
        prune.clients_after.is_empty(),
        "one release left: no older clients"
    );
    let latest = again.preview_remove_latest().unwrap();
    assert_eq!(latest.removed, vec!["1.2"]);
    assert_eq!(latest.ahead.as_deref(), Some("1.2"));
    assert_eq!(latest.latest_after.as_deref(), Some("1.1"));
    assert_eq!(latest.clients_after.len(), 1);
    assert!(matches!(
        again.preview_prune(3),
        Err(Error::NothingToRemove {
            releases: 3,
            keep: 3
        })
    ));
    // A preview changes nothing.
    assert_eq!(again.status().unwrap().releases.len(), 3);
}

/// The version offered for a new release: the bundle's VERSION file when it
/// is above the latest release, else the next patch version.
#[test]
fn suggested_version_comes_from_the_bundle_or_the_latest_release() {
    let tmp = tempfile::tempdir().unwrap();
    let mut opts = InitOptions::new("demo");
    opts.key_store = KeyStore::File;
    let (p, _) = Publisher::init(&tmp.path().join("proj"), &opts).expect("init");
    assert_eq!(p.suggest_version(None).unwrap(), "1.0.0");
    assert!(add(&p, tmp.path(), "1.1", 1));
    let bundle = tmp.path().join("next");
    write_bundle(&bundle, &[("app.bin", &[2; 10]), ("VERSION", b"1.2\n")]);
    assert_eq!(p.suggest_version(Some(&bundle)).unwrap(), "1.2");
    assert_eq!(p.suggest_version(None).unwrap(), "1.1.1");
    // Not above the latest, or not a version: the next patch version.
    std::fs::write(bundle.join("VERSION"), "1.0").unwrap();
    assert_eq!(p.suggest_version(Some(&bundle)).unwrap(), "1.1.1");
    std::fs::write(bundle.join("VERSION"), "banana").unwrap();
    assert_eq!(p.suggest_version(Some(&bundle)).unwrap(), "1.1.1");
}
