//! Apply on exit: this test binary is the app *and* its own update helper
//! (`run_if_helper` first thing in `main`, like a real app). A dummy
//! process stands for the running app; once it is killed the helper swaps
//! the staged version in. Then the helper is killed at each of its steps
//! (failpoints, debug builds): the install dir holds the old or the new
//! version, never a mix, and the next start finishes or rolls back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use tufa::client::helper::{apply_on_exit_with, run_if_helper};
use tufa::install::handover::{self, Recovered};
use tufa::install::InstallOptions;

fn main() {
    run_if_helper();
    let args: Vec<String> = std::env::args().collect();
    // The restarted app: reports the version it finds installed.
    if args.get(1).map(String::as_str) == Some("--report-version") {
        let (Some(install), Some(out)) = (args.get(2), args.get(3)) else {
            std::process::exit(2);
        };
        let version = std::fs::read(Path::new(install).join("VERSION")).unwrap_or_default();
        std::fs::write(out, version).expect("writing the report");
        return;
    }
    let tests: &[(&str, fn())] = &[
        (
            "helper_swaps_after_the_app_exits_and_restarts_it",
            helper_swaps_after_the_app_exits_and_restarts_it,
        ),
        (
            "a_staged_version_survives_until_applied_or_superseded",
            a_staged_version_survives_until_applied_or_superseded,
        ),
        (
            "helper_killed_at_each_step_leaves_old_or_new_and_next_start_completes",
            helper_killed_at_each_step_leaves_old_or_new_and_next_start_completes,
        ),
    ];
    let filter: Vec<&String> = args
        .iter()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    for (name, test) in tests {
        if !filter.is_empty() && !filter.iter().any(|f| name.contains(f.as_str())) {
            continue;
        }
        println!("test {name} ...");
        test();
        println!("test {name} ... ok");
    }
}

const A: &[(&str, &[u8])] = &[
    ("VERSION", b"1.0"),
    ("app.bin", &[1u8; 3000]),
    ("only-in-a.txt", b"a"),
    ("lib/common.so", b"common 1"),
];
const B: &[(&str, &[u8])] = &[
    ("VERSION", b"2.0"),
    ("app.bin", &[2u8; 4000]),
    ("lib/common.so", b"common 2"),
    ("lib/only-in-b/x.txt", b"b"),
];

fn write_tar(path: &Path, files: &[(&str, &[u8])]) {
    let mut b = tar::Builder::new(std::fs::File::create(path).unwrap());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.finish().unwrap();
}

/// Files (contents) and directories below `dir`, the user's settings left
/// out.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if p.is_dir() {
                out.insert(format!("{rel}/"), vec![]);
                walk(root, &p, out);
            } else if rel != "settings.json" {
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn expected(files: &[(&str, &[u8])]) -> BTreeMap<String, Vec<u8>> {
    let tmp = tempfile::tempdir().unwrap();
    let tar = tmp.path().join("x.tar");
    write_tar(&tar, files);
    let dir = tmp.path().join("x");
    tufa::install::install_tar(&tar, &dir, &InstallOptions::default()).unwrap();
    tree(&dir)
}

struct Fixture {
    _tmp: tempfile::TempDir,
    parent: PathBuf,
    install: PathBuf,
    tar_b: PathBuf,
}

/// Version A installed, with the user's settings, and B's tar cached.
fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let parent = tmp.path().join("apps");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::create_dir_all(&parent).unwrap();
    let (tar_a, tar_b) = (cache.join("app-1.0.tar"), cache.join("app-2.0.tar"));
    write_tar(&tar_a, A);
    write_tar(&tar_b, B);
    let install = parent.join("app");
    tufa::install::install_tar(&tar_a, &install, &InstallOptions::default()).unwrap();
    std::fs::write(install.join("settings.json"), b"user").unwrap();
    Fixture {
        _tmp: tmp,
        parent,
        install,
        tar_b,
    }
}

fn options() -> InstallOptions {
    InstallOptions {
        purge: true,
        exclude: vec!["settings.json".into()],
        installer: None,
    }
}

fn stage_b(f: &Fixture) -> handover::Staged {
    handover::stage_tar(&f.tar_b, "2.0", &f.install, &options(), &mut |_| Ok(())).unwrap()
}

/// Stands for the running app.
fn dummy_app() -> Child {
    Command::new("sleep").arg("60").spawn().unwrap()
}

fn end(mut app: Child) {
    app.kill().unwrap();
    // Reaped, so that its pid no longer exists for the helper.
    app.wait().unwrap();
}

fn names_beside(f: &Fixture) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(&f.parent)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn helper_swaps_after_the_app_exits_and_restarts_it() {
    let f = fixture();
    let staged = stage_b(&f);
    assert_eq!(staged.dir, f.parent.join("app.tufa-next"));
    assert_eq!(tree(&f.install), expected(A), "staging touched nothing");
    let app = dummy_app();
    let report = f._tmp.path().join("reported-version");
    let exe = std::env::current_exe().unwrap();
    let args = vec![
        "--report-version".to_string(),
        f.install.display().to_string(),
        report.display().to_string(),
    ];
    let mut helper =
        apply_on_exit_with(&exe, &f.install, app.id(), Some((exe.clone(), args))).unwrap();
    // While the app runs, nothing moves, and recovery leaves it alone.
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(tree(&f.install), expected(A));
    assert_eq!(
        handover::recover(&f.install).unwrap(),
        Recovered::InProgress
    );
    end(app);
    let status = helper.wait().unwrap();
    let log = std::fs::read_to_string(f.parent.join("app.tufa-handover.log")).unwrap_or_default();
    assert!(status.success(), "helper failed: {log}");
    assert_eq!(tree(&f.install), expected(B), "{log}");
    assert_eq!(
        std::fs::read(f.install.join("settings.json")).unwrap(),
        b"user"
    );
    assert_eq!(
        names_beside(&f),
        ["app", "app.tufa-handover.log"],
        "no leftovers: {log}"
    );
    // The restarted app runs the new version.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !report.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(std::fs::read(&report).unwrap(), b"2.0");
}

fn a_staged_version_survives_until_applied_or_superseded() {
    let f = fixture();
    assert_eq!(handover::staged(&f.install).unwrap(), None);
    stage_b(&f);
    // A start-up recovery (and a check's removal of `.tufa-staging`)
    // keeps it.
    assert_eq!(handover::recover(&f.install).unwrap(), Recovered::Nothing);
    let staged = handover::staged(&f.install).unwrap().expect("still staged");
    assert_eq!(staged.version, "2.0");
    // A stage that did not finish (no marker) is not a staged version.
    std::fs::remove_file(f.parent.join("app.tufa-next.json")).unwrap();
    assert_eq!(handover::staged(&f.install).unwrap(), None);
    assert_eq!(handover::recover(&f.install).unwrap(), Recovered::Nothing);
    assert!(!f.parent.join("app.tufa-next").exists());
    // Staging again supersedes.
    stage_b(&f);
    let again =
        handover::stage_tar(&f.tar_b, "2.0.1", &f.install, &options(), &mut |_| Ok(())).unwrap();
    assert_eq!(handover::staged(&f.install).unwrap(), Some(again));
    // Nothing staged: no hand-over starts.
    handover::discard_staged(&f.install).unwrap();
    let exe = std::env::current_exe().unwrap();
    let err = apply_on_exit_with(&exe, &f.install, std::process::id(), None).unwrap_err();
    assert!(err.to_string().contains("no version is staged"), "{err}");
    assert!(!f.parent.join("app.tufa-handover.json").exists());
}

fn helper_killed_at_each_step_leaves_old_or_new_and_next_start_completes() {
    // (failpoint, two renames instead of the atomic exchange)
    let points = [
        ("handover-after-wait", false),
        ("handover-after-carry-over", false),
        ("handover-after-sentinel", false),
        ("handover-after-swap", false),
        ("handover-before-delete", false),
        ("handover-before-plan-removal", false),
        ("handover-after-sentinel", true),
        ("handover-move-1", true),
        ("handover-move-2", true),
        ("handover-after-swap", true),
        ("handover-before-delete", true),
    ];
    let exe = std::env::current_exe().unwrap();
    let (old, new) = (expected(A), expected(B));
    for (point, renames) in points {
        let f = fixture();
        stage_b(&f);
        let app = dummy_app();
        // The helper inherits these; this harness runs one test at a time.
        std::env::set_var("TUFA_FAILPOINT", point);
        if renames {
            std::env::set_var("TUFA_HANDOVER_RENAMES", "1");
        }
        let spawned = apply_on_exit_with(&exe, &f.install, app.id(), None);
        std::env::remove_var("TUFA_FAILPOINT");
        std::env::remove_var("TUFA_HANDOVER_RENAMES");
        let mut helper = spawned.unwrap();
        end(app);
        let status = helper.wait().unwrap();
        let log =
            std::fs::read_to_string(f.parent.join("app.tufa-handover.log")).unwrap_or_default();
        assert!(
            !status.success(),
            "{point}/{renames}: the helper should have been killed: {log}"
        );
        assert!(
            log.contains(&format!("failpoint {point}")),
            "{point}/{renames}: {log}"
        );

        // Between the two renames the install dir is missing; any other
        // time it holds one version whole.
        let crashed = f.install.exists().then(|| tree(&f.install));
        let sentinel_free = |t: &BTreeMap<String, Vec<u8>>| {
            let mut t = t.clone();
            t.remove(".tufa-handover-old");
            t
        };
        if let Some(t) = &crashed {
            let t = sentinel_free(t);
            assert!(
                t == old || t == new,
                "{point}/{renames}: a mix: {:?}",
                t.keys()
            );
        } else {
            assert_eq!(point, "handover-move-1", "{renames}");
        }

        // The next start finishes or rolls back.
        let recovered = handover::recover(&f.install).unwrap();
        let after = tree(&f.install);
        assert!(
            after == old || after == new,
            "{point}/{renames}: {:?}",
            after.keys()
        );
        assert_eq!(
            std::fs::read(f.install.join("settings.json")).unwrap(),
            b"user"
        );
        match recovered {
            Recovered::Finished => assert_eq!(after, new, "{point}/{renames}"),
            Recovered::RolledBack => {
                assert_eq!(after, old, "{point}/{renames}");
                // The staged version is kept: the next hand-over applies it.
                assert!(handover::staged(&f.install).unwrap().is_some(), "{point}");
                let app = dummy_app();
                let mut helper = apply_on_exit_with(&exe, &f.install, app.id(), None).unwrap();
                end(app);
                assert!(helper.wait().unwrap().success(), "{point}/{renames}");
                assert_eq!(tree(&f.install), new, "{point}/{renames}");
            }
            other => panic!("{point}/{renames}: {other:?}"),
        }
        assert_eq!(
            names_beside(&f),
            ["app", "app.tufa-handover.log"],
            "{point}/{renames}: leftovers"
        );
        // Which way each step goes, so a change of the order is noticed.
        let forward = matches!(
            point,
            "handover-after-swap"
                | "handover-before-delete"
                | "handover-before-plan-removal"
                | "handover-move-2"
        );
        assert_eq!(
            recovered,
            if forward {
                Recovered::Finished
            } else {
                Recovered::RolledBack
            },
            "{point}/{renames}"
        );
        println!("  {point} (renames: {renames}): {recovered:?}");
    }
}
