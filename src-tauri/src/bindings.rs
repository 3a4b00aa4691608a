//! The TypeScript declarations of what the app's commands return,
//! generated from the Rust types by ts-rs into `ui/src/generated/`. The
//! front end imports them (`ui/src/api.ts`), so none is written by hand
//! and none can drift from the engine.
//!
//! `cargo test -p tufa-app bindings` fails when the committed files are
//! stale; `TUFA_WRITE_BINDINGS=1 cargo test -p tufa-app bindings`
//! rewrites them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use ts_rs::{Config, ExportError, TS};

/// Environment variable that makes the test rewrite the committed files.
const WRITE_ENV: &str = "TUFA_WRITE_BINDINGS";

fn committed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/generated")
}

/// Writes every type the front end receives, with the types they use.
fn export_all(dir: &Path) -> Result<(), ExportError> {
    // Sizes and counts are JSON numbers, not bigint: serde_json writes
    // u64 as a number and every size Tufa handles is far below 2^53.
    let cfg = Config::new().with_large_int("number").with_out_dir(dir);
    tufa::publisher::status::Status::export_all(&cfg)?;
    tufa::publisher::AddPlan::export_all(&cfg)?;
    tufa::publisher::AddEstimate::export_all(&cfg)?;
    tufa::publisher::PublishOutcome::export_all(&cfg)?;
    tufa::publisher::upload::UploadReport::export_all(&cfg)?;
    tufa::client::verify::VerifyReport::export_all(&cfg)?;
    crate::commands::AppInfo::export_all(&cfg)?;
    crate::self_update::SelfUpdateInfo::export_all(&cfg)?;
    crate::commands::RequestView::export_all(&cfg)?;
    crate::commands::Merged::export_all(&cfg)?;
    tufa::publisher::CustodianKey::export_all(&cfg)?;
    crate::commands::Added::export_all(&cfg)?;
    tufa::publisher::pending::StagedChange::export_all(&cfg)?;
    tufa::publisher::published::PublishedState::export_all(&cfg)?;
    tufa::publisher::removal::RemovalPreview::export_all(&cfg)?;
    crate::workspace::Refreshed::export_all(&cfg)?;
    crate::workspace::RolloutSet::export_all(&cfg)?;
    tufa::policy::PullPreview::export_all(&cfg)?;
    tufa::publisher::destinations::CredentialStatus::export_all(&cfg)?;
    tufa::publisher::destinations::ConnectionTest::export_all(&cfg)?;
    tufa::publisher::periods::PeriodChange::export_all(&cfg)?;
    tufa::publisher::Custody::export_all(&cfg)?;
    tufa::publisher::automate::Automation::export_all(&cfg)?;
    Ok(())
}

/// Every file under `dir`, by path relative to it.
fn files(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                out.insert(rel.display().to_string(), text);
            }
        }
    }
    out
}

#[test]
fn typescript_bindings_are_current() {
    let committed = committed_dir();
    if std::env::var_os(WRITE_ENV).is_some() {
        if committed.exists() {
            std::fs::remove_dir_all(&committed).expect("removing the old bindings");
        }
        export_all(&committed).expect("writing the bindings");
        return;
    }
    let fresh = tempfile::tempdir().expect("a temporary directory");
    export_all(fresh.path()).expect("generating the bindings");
    let (want, have) = (files(fresh.path()), files(&committed));
    let stale: std::collections::BTreeSet<&String> = want
        .keys()
        .chain(have.keys())
        .filter(|k| want.get(*k) != have.get(*k))
        .collect();
    assert!(
        stale.is_empty(),
        "ui/src/generated/ is stale ({stale:?}): the Rust types changed. Regenerate with \
         `{WRITE_ENV}=1 cargo test -p tufa-app bindings` and commit the result"
    );
}
