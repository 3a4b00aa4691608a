//! Upload and check of the published copy report progress per file; the
//! check judges expiry with the project's periods (the status's window);
//! a role's period can be changed; a replaced key keeps its custody.

#![cfg(feature = "publisher")]

mod common;

use common::{write_bundle, Server};
use std::path::Path;
use tufa::client::verify::{verify_repository, verify_repository_with, VerifyOptions};
use tufa::metadata::TopRole;
use tufa::progress::{NoProgress, Phase, Progress};
use tufa::publisher::keys::{KnownPassphrase, Secret};
use tufa::publisher::project::KeyLocation;
use tufa::publisher::upload::{Destination, S3Options};
use tufa::publisher::{AddRequest, Custody, InitOptions, KeyStore, Publisher, RootChange};
use tufa::{Error, Remedy};

/// Every progress call, in order.
#[derive(Debug, Clone, PartialEq)]
enum Event {
    Start(Phase, Option<u64>),
    File(String, usize, usize),
    Advance(u64),
    Finish(Phase),
}

#[derive(Default)]
struct Recorder(Vec<Event>);

impl Progress for Recorder {
    fn start(&mut self, phase: Phase, total: Option<u64>) {
        self.0.push(Event::Start(phase, total));
    }
    fn advance(&mut self, done: u64) {
        self.0.push(Event::Advance(done));
    }
    fn finish(&mut self, phase: Phase) {
        self.0.push(Event::Finish(phase));
    }
    fn file(&mut self, name: &str, done: usize, count: usize) {
        self.0.push(Event::File(name.into(), done, count));
    }
}

/// Checks the order (start, then files in sequence with non-decreasing
/// bytes, then finish) and returns (total, files announced, last bytes).
fn check_sequence(events: &[Event], phase: Phase) -> (u64, Vec<String>, u64) {
    let Some(Event::Start(p, Some(total))) = events.first() else {
        panic!("starts with a total: {events:?}");
    };
    assert_eq!(*p, phase);
    assert_eq!(events.last(), Some(&Event::Finish(phase)));
    let mut files = Vec::new();
    let mut bytes = 0;
    let mut count = None;
    for e in &events[1..events.len() - 1] {
        match e {
            Event::File(name, done, of) => {
                assert_eq!(*count.get_or_insert(*of), *of, "one file count");
                assert_eq!(*done, files.len(), "files in order: {events:?}");
                if *done < *of {
                    files.push(name.clone());
                }
            }
            Event::Advance(n) => {
                assert!(*n >= bytes, "bytes never go back: {events:?}");
                assert!(*n <= *total, "never above the total");
                bytes = *n;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        events[events.len() - 2],
        Event::File(String::new(), files.len(), files.len()),
        "ends with every file done"
    );
    (*total, files, bytes)
}

fn project(dir: &Path) -> Publisher {
    let mut opts = InitOptions::new("demo");
    opts.key_store = KeyStore::File;
    let (p, _) = Publisher::init(&dir.join("proj"), &opts).expect("init");
    for (v, fill) in [("1.0", 1u8), ("1.1", 2)] {
        let bundle = dir.join(format!("b{v}"));
        write_bundle(
            &bundle,
            &[("app.bin", &[fill; 50_000]), ("VERSION", v.as_bytes())],
        );
        p.add(&AddRequest::new(&bundle, v), &mut NoProgress)
            .expect("add");
    }
    p
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn upload_and_check_report_every_file_in_order_with_final_totals() {
    let tmp = tempfile::tempdir().unwrap();
    let p = project(tmp.path());
    let www = tmp.path().join("www");
    let mut rec = Recorder::default();
    let report = rt()
        .block_on(p.upload_with_progress(
            &Destination::Dir(www.clone()),
            &S3Options::default(),
            &mut rec,
        ))
        .unwrap();
    let (total, files, bytes) = check_sequence(&rec.0, Phase::Upload);
    assert_eq!(
        files, report.uploaded,
        "each uploaded file announced, in order"
    );
    assert_eq!((total, bytes), (report.bytes, report.bytes));

    // Again: everything is there, skipped files count as done.
    let mut rec = Recorder::default();
    let again = rt()
        .block_on(p.upload_with_progress(
            &Destination::Dir(www.clone()),
            &S3Options::default(),
            &mut rec,
        ))
        .unwrap();
    assert!(!again.skipped.is_empty());
    let (total, files, bytes) = check_sequence(&rec.0, Phase::Upload);
    assert_eq!(files.len(), again.uploaded.len() + again.skipped.len());
    assert_eq!(bytes, total);

    let server = Server::start(&www);
    let mut rec = Recorder::default();
    let checked = rt()
        .block_on(verify_repository_with(
            &server.url,
            None,
            Default::default(),
            &VerifyOptions::default(),
            &mut rec,
        ))
        .unwrap();
    assert!(checked.ok(), "{:?}", checked.problems);
    let (total, files, bytes) = check_sequence(&rec.0, Phase::Check);
    assert_eq!(files.len(), checked.targets_checked);
    assert_eq!(files.len(), 3, "two archives and a patch: {files:?}");
    assert_eq!(
        (total, bytes),
        (checked.bytes_checked, checked.bytes_checked)
    );
}

#[test]
fn a_cancelled_upload_stops_with_cancelled() {
    struct CancelAfterFirst(usize);
    impl Progress for CancelAfterFirst {
        fn start(&mut self, _: Phase, _: Option<u64>) {}
        fn advance(&mut self, _: u64) {}
        fn finish(&mut self, _: Phase) {}
        fn file(&mut self, _: &str, _: usize, _: usize) {
            self.0 += 1;
        }
        fn cancelled(&self) -> bool {
            self.0 >= 2
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let p = project(tmp.path());
    let www = tmp.path().join("www");
    let r = rt().block_on(p.upload_with_progress(
        &Destination::Dir(www.clone()),
        &S3Options::default(),
        &mut CancelAfterFirst(0),
    ));
    assert!(matches!(r, Err(Error::Cancelled)), "{r:?}");
    assert!(
        !www.join("metadata/timestamp.json").exists(),
        "stopped before the metadata"
    );
}

#[test]
fn the_check_warns_with_the_projects_period_like_the_status() {
    let tmp = tempfile::tempdir().unwrap();
    let p = project(tmp.path());
    let www = tmp.path().join("www");
    rt().block_on(p.upload(&Destination::Dir(www.clone()), &S3Options::default()))
        .unwrap();
    let server = Server::start(&www);
    // Expiry is in whole seconds: let the one-day timestamp be strictly
    // less than a day away, as it is a minute after signing.
    std::thread::sleep(std::time::Duration::from_secs(2));
    // A timestamp signed a minute ago with a one-day period is fresh for
    // the status (warned in its last 12 hours) ...
    let status = p.status().unwrap();
    let ts = status
        .roles
        .iter()
        .find(|r| r.role == TopRole::Timestamp)
        .unwrap();
    assert_eq!(ts.period_days, 1);
    assert!(ts.warning.is_none());
    // ... and so for the check given the project's periods.
    let report = rt()
        .block_on(verify_repository_with(
            &server.url,
            None,
            Default::default(),
            &VerifyOptions {
                periods: p.expiry_periods(),
            },
            &mut NoProgress,
        ))
        .unwrap();
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
    // Without the periods (a client's view) the one-day window applies.
    let blind = rt()
        .block_on(verify_repository(&server.url, None, Default::default()))
        .unwrap();
    assert_eq!(blind.warnings.len(), 1, "{:?}", blind.warnings);
    assert!(blind.warnings[0].starts_with("timestamp expires in"));
}

#[test]
fn expiry_period_set_with_bounds_and_effect_explained() {
    let tmp = tempfile::tempdir().unwrap();
    let mut p = project(tmp.path());
    for (role, days) in [
        (TopRole::Timestamp, 0),
        (TopRole::Timestamp, 366),
        (TopRole::Root, 3651),
    ] {
        match p.set_expiry_period(role, days) {
            Err(Error::InvalidSetting { field, reason }) => {
                assert!(field.contains(role.as_str()), "{field}");
                assert!(
                    reason.contains("at least 1 day") || reason.contains("at most"),
                    "{reason}"
                );
            }
            other => panic!("{role} {days}: expected InvalidSetting, got {other:?}"),
        }
    }
    let before = p.status().unwrap();
    let change = p.set_expiry_period(TopRole::Snapshot, 14).unwrap();
    assert_eq!((change.previous_days, change.days), (7, 14));
    assert_eq!(
        change.remedy,
        Some(Remedy::RefreshRole {
            role: TopRole::Snapshot
        })
    );
    assert!(
        change.note.contains("from the next signing on"),
        "{}",
        change.note
    );
    // Saved in tufa.toml; signed metadata untouched until re-signed.
    let reopened = Publisher::open(p.dir()).unwrap();
    assert_eq!(reopened.expiry_periods()["snapshot"], 14);
    let after = reopened.status().unwrap();
    let snap = |s: &tufa::publisher::status::Status| {
        s.roles
            .iter()
            .find(|r| r.role == TopRole::Snapshot)
            .unwrap()
            .clone()
    };
    assert_eq!(snap(&after).expires, snap(&before).expires);
    assert_eq!(snap(&after).period_days, 14);
    reopened.sign(TopRole::Snapshot, None).unwrap();
    let left = snap(&reopened.status().unwrap()).expires_in_secs;
    assert!(left > 13 * 86_400 && left <= 14 * 86_400, "{left}");
    // Root: the next root version, no re-sign offered.
    let root = p.set_expiry_period(TopRole::Root, 730).unwrap();
    assert_eq!(root.remedy, None);
    assert!(root.note.contains("next root version"), "{}", root.note);
}

fn location(p: &Publisher, name: &str) -> KeyLocation {
    p.project().keys[name].location.clone()
}

#[test]
fn a_replaced_key_keeps_its_custody_unless_told_otherwise() {
    let tmp = tempfile::tempdir().unwrap();
    let mut p = project(tmp.path());
    assert_eq!(Custody::of(&location(&p, "root"), p.dir()), Custody::File);
    // A plain file stays a plain file.
    let (_, req) = p
        .root_request(
            &RootChange::ReplaceKey {
                name: "targets".into(),
                custody: None,
            },
            None,
        )
        .unwrap();
    let cfg = &req.project_keys["targets"];
    assert!(
        matches!(cfg.location, KeyLocation::File(_)),
        "{:?}",
        cfg.location
    );
    assert_eq!(Custody::of(&cfg.location, p.dir()), Custody::File);
    std::fs::remove_file(p.dir().join(format!(
        "root-request-v{}.json",
        req.new_root.signed.version
    )))
    .unwrap();

    // An encrypted file stays encrypted, with the passphrase given for it.
    let pass = Secret::new(b"correct horse".to_vec());
    p.move_key("root", KeyStore::File, Some(&pass)).unwrap();
    assert_eq!(
        Custody::of(&location(&p, "root"), p.dir()),
        Custody::EncryptedFile
    );
    let without = p.root_request(
        &RootChange::ReplaceKey {
            name: "root".into(),
            custody: None,
        },
        None,
    );
    match without {
        Err(Error::NeedPassphrase { name, .. }) => assert_eq!(name, "root"),
        other => panic!("expected NeedPassphrase, got {other:?}"),
    }
    let wrong = Publisher::open(p.dir())
        .unwrap()
        .with_keys(std::sync::Arc::new(KnownPassphrase(Secret::new(
            b"typo".to_vec(),
        ))));
    let r = wrong.root_request(
        &RootChange::ReplaceKey {
            name: "root".into(),
            custody: None,
        },
        None,
    );
    assert!(
        matches!(r, Err(Error::BadKey { ref name, .. }) if name == "root"),
        "{r:?}"
    );
    let with = Publisher::open(p.dir())
        .unwrap()
        .with_keys(std::sync::Arc::new(KnownPassphrase(Secret::new(
            b"correct horse".to_vec(),
        ))));
    let (_, req) = with
        .root_request(
            &RootChange::ReplaceKey {
                name: "root".into(),
                custody: None,
            },
            None,
        )
        .unwrap();
    let cfg = &req.project_keys["root"];
    assert_eq!(Custody::of(&cfg.location, p.dir()), Custody::EncryptedFile);
    let KeyLocation::File(rel) = &cfg.location else {
        unreachable!()
    };
    tufa::publisher::keys::signer_from_file(
        &p.dir().join(rel),
        &KnownPassphrase(Secret::new(b"correct horse".to_vec())),
    )
    .expect("the new key opens with the old passphrase");

    // An explicit choice overrides; a variable cannot take a new key.
    let r = with.root_request(
        &RootChange::ReplaceKey {
            name: "snapshot".into(),
            custody: Some(Custody::Environment),
        },
        None,
    );
    assert!(matches!(r, Err(Error::InvalidSetting { .. })), "{r:?}");
}
