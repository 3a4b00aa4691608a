//! What a front end asks the engine about a delegated platform before it
//! changes anything: removal previews, the pull preview, the estimate of
//! the next release and the files an upload sends all come from the
//! platform's own role (top-level targets no longer lists its releases),
//! and the prune preview covers every platform, as the prune does.

use std::path::{Path, PathBuf};
use tufa::progress::NoProgress;
use tufa::publisher::{AddRequest, InitOptions, KeyStore, Publisher};

const LINUX: &str = "linux-x86_64";
const WINDOWS: &str = "windows-x86_64";

fn bundle(dir: &Path, platform: &str, version: &str) -> PathBuf {
    let b = dir.join(format!("b-{platform}-{version}"));
    std::fs::create_dir_all(&b).unwrap();
    std::fs::write(b.join("VERSION"), version).unwrap();
    std::fs::write(
        b.join("app.txt"),
        format!("{platform} {version}").repeat(50),
    )
    .unwrap();
    b
}

fn add(p: &Publisher, dir: &Path, platform: &str, version: &str) {
    let mut req = AddRequest::new(bundle(dir, platform, version), version);
    req.platform = Some(platform.into());
    let (_, outcome) = p.add(&req, &mut NoProgress).unwrap();
    assert!(outcome.published);
}

#[test]
fn previews_estimates_and_uploads_read_the_delegated_role() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("proj");
    let mut opts = InitOptions::new("demo");
    opts.key_store = KeyStore::File;
    Publisher::init(&dir, &opts).unwrap();
    let p = Publisher::open(&dir).unwrap();
    add(&p, tmp.path(), LINUX, "1.0");
    add(&p, tmp.path(), WINDOWS, "1.0");
    add(&p, tmp.path(), WINDOWS, "1.1");
    p.delegate_platform(LINUX, KeyStore::File).unwrap();
    let p = Publisher::open(&dir).unwrap();
    add(&p, tmp.path(), LINUX, "1.1");
    add(&p, tmp.path(), LINUX, "1.2");

    // Remove-latest, per platform: linux's from its role.
    let linux = p.preview_remove_latest_of(Some(LINUX)).unwrap();
    assert_eq!(linux.removed, ["1.2"]);
    assert_eq!(
        linux.files,
        [
            "demo-linux-x86_64-1.2.tar.gz",
            "demo-linux-x86_64-1.2.patch"
        ]
    );
    assert_eq!(linux.latest_after.as_deref(), Some("1.1"));
    assert_eq!(linux.ahead.as_deref(), Some("1.2"));
    let windows = p.preview_remove_latest_of(Some(WINDOWS)).unwrap();
    assert_eq!(windows.removed, ["1.1"]);
    // No platform-less releases here.
    assert!(matches!(
        p.preview_remove_latest(),
        Err(tufa::Error::NoReleases { ref app }) if app == "demo"
    ));

    // Pull: linux 1.2 goes back to 1.1.
    let pull = p.preview_pull("1.2", None).unwrap();
    assert_eq!(pull.len(), 1);
    assert_eq!(pull[0].platform.as_deref(), Some(LINUX));
    assert_eq!(
        pull[0].rollback_to.as_ref().map(ToString::to_string),
        Some("1.1".into())
    );

    // The next linux release is estimated against linux 1.2.
    let estimate = p
        .estimate_add_for(&bundle(tmp.path(), LINUX, "1.3"), Some(LINUX))
        .unwrap();
    assert_eq!(estimate.previous.as_deref(), Some("1.2"));

    // An upload sends the role and its files.
    let files = p.publishable_files().unwrap();
    for f in [
        "metadata/linux-x86_64.json",
        "targets/demo-linux-x86_64-1.2.patch",
        "targets/demo-linux-x86_64-1.0.tar.gz",
        "targets/demo-windows-x86_64-1.1.tar.gz",
    ] {
        assert!(files.contains_key(f), "{f} missing from {files:?}");
    }

    // Prune keeping one: the preview covers both platforms and matches
    // what the prune then removes.
    let preview = p.preview_prune(1).unwrap();
    assert_eq!(preview.removed, ["1.0", "1.1"]);
    let mut previewed: Vec<String> = preview
        .files
        .iter()
        .map(|f| format!("targets/{f}"))
        .collect();
    previewed.sort();
    assert_eq!(
        previewed,
        [
            "targets/demo-linux-x86_64-1.0.tar.gz",
            "targets/demo-linux-x86_64-1.1.patch",
            "targets/demo-linux-x86_64-1.1.tar.gz",
            "targets/demo-windows-x86_64-1.0.tar.gz",
        ]
    );
    let freed: u64 = previewed
        .iter()
        .map(|f| std::fs::metadata(p.repo().join(f)).unwrap().len())
        .sum();
    assert_eq!(preview.freed_bytes, freed);
    let (versions, outcome) = p.prune(1).unwrap();
    assert_eq!(
        versions.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["1.0", "1.1"]
    );
    let mut removed = outcome.removed.clone();
    removed.sort();
    assert_eq!(removed, previewed);
    assert!(matches!(
        p.preview_prune(1),
        Err(tufa::Error::NothingToRemove { keep: 1, .. })
    ));
}
