//! Installing costs what changed (issue #17): when the new tar is rebuilt
//! from a patch, files whose bytes are those of the installed version are
//! taken from the install dir (hard links: the same inode before and
//! after) and only changed files are written from the tar; a file changed
//! on disk since it was installed is written again from the tar.

#![cfg(unix)]

mod common;

use common::{contents, noise, write_bundle, Client, Server};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use tufa::client::InstallReport;
use tufa::progress::NoProgress;
use tufa::publisher::{AddRequest, InitOptions, Publisher};

const FILES: usize = 100;
const SIZE: usize = 8192;

fn name(i: usize) -> String {
    format!("lib/f{i:03}.bin")
}

/// A bundle of [`FILES`] incompressible files; `changed` get other bytes
/// (same size), `executable` get mode 0755.
fn bundle(dir: &Path, changed: &[usize], executable: &[usize]) {
    let files: Vec<(String, Vec<u8>)> = (0..FILES)
        .map(|i| {
            let seed = if changed.contains(&i) { 1000 + i } else { i };
            (name(i), noise(SIZE, seed as u32))
        })
        .collect();
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, c)| (n.as_str(), c.as_slice()))
        .collect();
    write_bundle(dir, &refs);
    for i in executable {
        std::fs::set_permissions(dir.join(name(*i)), std::fs::Permissions::from_mode(0o755))
            .unwrap();
    }
}

/// The install holds exactly the bundle (names of the differing files
/// otherwise, not megabytes of bytes).
fn assert_same_tree(install: &Path, bundle: &Path) {
    let (a, b) = (contents(install), contents(bundle));
    let names = |v: &[(String, Vec<u8>)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&a), names(&b));
    let differ: Vec<&String> = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| x.1 != y.1)
        .map(|(x, _)| &x.0)
        .collect();
    assert!(differ.is_empty(), "differ from the bundle: {differ:?}");
}

fn inodes(dir: &Path) -> Vec<u64> {
    (0..FILES)
        .map(|i| std::fs::metadata(dir.join(name(i))).unwrap().ino())
        .collect()
}

async fn update(client: &Client, from: &str, server: &Server) -> InstallReport {
    let updater = client
        .updater(from, server)
        .install_options(tufa::client::InstallOptions {
            purge: true,
            ..Default::default()
        })
        .build()
        .unwrap();
    let applied = updater
        .update(&mut |_| {})
        .await
        .unwrap()
        .expect("an update");
    assert!(applied.fell_back.is_none(), "{:?}", applied.fell_back);
    assert!(
        applied.fetched.iter().all(|f| f.name.ends_with(".patch")),
        "{:?}",
        applied.fetched
    );
    applied.installed.expect("installed")
}

#[tokio::test]
async fn unchanged_files_are_taken_from_the_install() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (publisher, _) = Publisher::init(&t.join("proj"), &InitOptions::new("demo")).unwrap();
    let (b10, b11, b12) = (t.join("b10"), t.join("b11"), t.join("b12"));
    bundle(&b10, &[], &[]);
    // 1.1: one file changed, one only made executable.
    bundle(&b11, &[42], &[50]);
    // 1.2: another file changed.
    bundle(&b12, &[42, 7], &[50]);
    for (b, v) in [(&b10, "1.0"), (&b11, "1.1")] {
        publisher
            .add(&AddRequest::new(b, v), &mut NoProgress)
            .unwrap();
    }
    let server = Server::start(&publisher.repo());

    // Installed by the app's own installer: no record yet, so the files
    // are compared with the 1.0 tar.
    let client = Client::install(&t.join("c"), &publisher.repo(), "1.0", true);
    let before = inodes(&client.install);
    let report = update(&client, "1.0", &server).await;
    assert_same_tree(&client.install, &b11);
    assert_eq!(
        (report.files_written, report.files_reused),
        (1, (FILES - 1) as u64),
        "{report:?}"
    );
    assert_eq!(report.bytes_written, SIZE as u64);
    let after = inodes(&client.install);
    for i in 0..FILES {
        match i {
            // Written from the tar.
            42 => assert_ne!(before[i], after[i]),
            // Same bytes, other mode: copied, so that the 1.0 file kept
            // its mode until the swap.
            50 => {
                assert_ne!(before[i], after[i]);
                let mode = std::fs::metadata(client.install.join(name(i)))
                    .unwrap()
                    .permissions()
                    .mode();
                assert_eq!(mode & 0o777, 0o755);
            }
            _ => assert_eq!(before[i], after[i], "{} was written again", name(i)),
        }
    }

    publisher
        .add(&AddRequest::new(&b12, "1.2"), &mut NoProgress)
        .unwrap();
    // Changed on disk since installed, time put back: the record's
    // change time gives it away, the content differs from the tar, so it
    // is written again and the install is 1.2 exactly.
    let tampered = client.install.join(name(10));
    let mtime = std::fs::metadata(&tampered).unwrap().modified().unwrap();
    std::fs::write(&tampered, noise(SIZE, 666)).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&tampered)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    // Touched but unchanged: compared, found equal, reused.
    let touched = client.install.join(name(20));
    std::fs::set_permissions(&touched, std::fs::Permissions::from_mode(0o644)).unwrap();
    let before = inodes(&client.install);
    let report = update(&client, "1.1", &server).await;
    assert_same_tree(&client.install, &b12);
    assert_eq!(
        (report.files_written, report.files_reused),
        (2, (FILES - 2) as u64),
        "{report:?}"
    );
    let after = inodes(&client.install);
    assert_ne!(before[7], after[7]);
    assert_ne!(before[10], after[10]);
    assert_eq!(before[20], after[20]);
    assert_eq!(before[50], after[50], "now recorded at 0755: linked");
}

/// Through a chain of two patches (1.0 → 1.1 → 1.2), the ranges of both
/// compose: files unchanged across the chain are reused.
#[tokio::test]
async fn a_patch_chain_reuses_what_the_whole_chain_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (publisher, _) = Publisher::init(&t.join("proj"), &InitOptions::new("demo")).unwrap();
    let (b10, b11, b12) = (t.join("b10"), t.join("b11"), t.join("b12"));
    bundle(&b10, &[], &[]);
    bundle(&b11, &[3], &[]);
    bundle(&b12, &[3, 90], &[]);
    for (b, v) in [(&b10, "1.0"), (&b11, "1.1"), (&b12, "1.2")] {
        publisher
            .add(&AddRequest::new(b, v), &mut NoProgress)
            .unwrap();
    }
    let server = Server::start(&publisher.repo());
    let client = Client::install(&t.join("c"), &publisher.repo(), "1.0", true);
    let before = inodes(&client.install);
    let report = update(&client, "1.0", &server).await;
    assert_same_tree(&client.install, &b12);
    assert_eq!(
        (report.files_written, report.files_reused),
        (2, (FILES - 2) as u64),
        "{report:?}"
    );
    let after = inodes(&client.install);
    for i in 0..FILES {
        assert_eq!(before[i] == after[i], i != 3 && i != 90, "{}", name(i));
    }
}

/// A folder of the install the user replaced by a link to elsewhere is
/// theirs: its files are not shared with the new version (written from
/// the tar instead), and stay untouched.
#[tokio::test]
async fn files_behind_a_user_link_are_not_shared() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (publisher, _) = Publisher::init(&t.join("proj"), &InitOptions::new("demo")).unwrap();
    let (b10, b11) = (t.join("b10"), t.join("b11"));
    bundle(&b10, &[], &[]);
    bundle(&b11, &[5], &[]);
    for (b, v) in [(&b10, "1.0"), (&b11, "1.1")] {
        publisher
            .add(&AddRequest::new(b, v), &mut NoProgress)
            .unwrap();
    }
    let server = Server::start(&publisher.repo());
    let client = Client::install(&t.join("c"), &publisher.repo(), "1.0", true);
    let elsewhere = t.join("big-disk-lib");
    std::fs::rename(client.install.join("lib"), &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, client.install.join("lib")).unwrap();
    let report = update(&client, "1.0", &server).await;
    assert_eq!(
        (report.files_written, report.files_reused),
        (FILES as u64, 0),
        "{report:?}"
    );
    assert_same_tree(&client.install, &b11);
    for i in 0..FILES {
        let md = std::fs::metadata(elsewhere.join(format!("f{i:03}.bin"))).unwrap();
        assert_eq!(md.nlink(), 1, "{} shared", name(i));
    }
}
