//! Several platforms in one repository: targets `demo-<platform>-<version>…`,
//! a patch chain per platform (from the previous release *of that
//! platform*), releases for some platforms only, `tufa update --platform`
//! on each, and the Python tufup client reading one platform's stream
//! with the app name `demo-<platform>`.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use tufa_tests::server::Server;
use tufa_tests::*;

const PLATFORMS: [&str; 3] = ["linux-x86_64", "macos-aarch64", "windows-x86_64"];

/// Incompressible bytes, different per seed, so patches beat archives
/// and a patch of another platform could never rebuild this one's tar.
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

/// The bundle of `platform` at release number `index` (`version`).
fn bundle(root: &Path, platform: &str, version: &str, index: usize) -> PathBuf {
    let dir = root.join(format!("bundle-{platform}-{version}"));
    let seed = 1 + PLATFORMS.iter().position(|p| *p == platform).unwrap() as u64;
    let mut bin = noise(seed, 200_000);
    for i in 0..index {
        let at = 10_000 * (i + 1);
        bin[at..at + 500].copy_from_slice(&noise(100 + i as u64, 500));
    }
    write_bundle(
        &dir,
        &[
            ("app.bin", &bin),
            ("VERSION", version.as_bytes()),
            ("PLATFORM", platform.as_bytes()),
        ],
    );
    dir
}

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect()
}

/// Releases 1.0, 1.1, 1.2 for linux and macOS; 1.0 and 1.2 only for
/// Windows (its 1.2 is patched from its own 1.0).
fn publish(tmp: &Path) -> PathBuf {
    let proj = init_project(tmp, &[]);
    for (i, v) in ["1.0", "1.1", "1.2"].iter().enumerate() {
        for p in PLATFORMS {
            if p == "windows-x86_64" && *v == "1.1" {
                continue;
            }
            let b = bundle(tmp, p, v, i);
            let added = tufa(
                &proj,
                &[
                    "--json",
                    "add",
                    b.to_str().unwrap(),
                    "--version",
                    v,
                    "--platform",
                    p,
                ],
            )
            .json();
            assert_eq!(added["plan"]["platform"], p);
            assert_eq!(
                added["plan"]["archive"]["name"],
                format!("demo-{p}-{v}.tar.gz")
            );
            let previous = match (p, *v) {
                (_, "1.0") => Value::Null,
                ("windows-x86_64", "1.2") => "1.0".into(),
                (_, "1.1") => "1.0".into(),
                _ => "1.1".into(),
            };
            assert_eq!(added["plan"]["previous"], previous, "{p} {v}");
            if *v != "1.0" {
                assert_eq!(
                    added["plan"]["patch"]["name"],
                    format!("demo-{p}-{v}.patch")
                );
            }
        }
    }
    proj
}

#[test]
fn three_platforms_each_update_by_their_own_patch_chain() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = publish(tmp.path());
    let repo = proj.join("repository");
    let server = Server::start(repo.clone());

    // The publisher's view lists each platform with its own chain.
    let status = tufa(&proj, &["--json", "status"]).json();
    assert_eq!(status["releases"], serde_json::json!([]));
    let listed: Vec<&str> = status["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["platform"].as_str().unwrap())
        .collect();
    assert_eq!(listed, PLATFORMS);
    let windows = &status["platforms"][2];
    assert_eq!(windows["releases"].as_array().unwrap().len(), 2);
    assert_eq!(
        windows["clients"][0]["files"],
        serde_json::json!(["demo-windows-x86_64-1.2.patch"])
    );
    let text = tufa(&proj, &["status"]);
    assert!(
        text.stdout.contains("Releases for macos-aarch64:"),
        "{}",
        text.stdout
    );

    for p in PLATFORMS {
        let base = tmp.path().join(format!("client-{p}"));
        let (install, meta, cache) = (base.join("install"), base.join("meta"), base.join("cache"));
        for d in [&install, &meta, &cache] {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::copy(repo.join("metadata/1.root.json"), meta.join("root.json")).unwrap();
        let tar = unpack_release(&repo.join(format!("targets/demo-{p}-1.0.tar.gz")), &install);
        std::fs::write(cache.join("demo-1.0.tar"), &tar).unwrap();
        let at = Install {
            install: &install,
            meta: &meta,
            cache: &cache,
        };
        let v = update_app(tmp.path(), &at, "1.0", &server.url, &["--platform", p], &[]).json();
        assert_eq!(v["update"]["method"], "patch", "{p}: {v}");
        let chain: Vec<String> = if p == "windows-x86_64" {
            vec![format!("demo-{p}-1.2.patch")]
        } else {
            vec![format!("demo-{p}-1.1.patch"), format!("demo-{p}-1.2.patch")]
        };
        assert_eq!(names(&v["fetched"]), chain, "{p}");
        assert_eq!(v["installed_version"], "1.2");
        assert_eq!(
            fingerprint(&install),
            fingerprint(&tmp.path().join(format!("bundle-{p}-1.2"))),
            "{p}: the files of its own 1.2"
        );
    }

    // Without --platform the client follows the running platform when the
    // repository has it.
    let running = format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH);
    if PLATFORMS.contains(&running.as_str()) {
        let base = tmp.path().join("client-auto");
        let (install, meta, cache) = (base.join("install"), base.join("meta"), base.join("cache"));
        for d in [&install, &meta, &cache] {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::copy(repo.join("metadata/1.root.json"), meta.join("root.json")).unwrap();
        unpack_release(
            &repo.join(format!("targets/demo-{running}-1.1.tar.gz")),
            &install,
        );
        let at = Install {
            install: &install,
            meta: &meta,
            cache: &cache,
        };
        let v = update_app(tmp.path(), &at, "1.1", &server.url, &[], &[]).json();
        assert_eq!(names(&v["fetched"]), [format!("demo-{running}-1.2.tar.gz")]);
    }

    // The estimate compares with the latest release of that platform.
    let est = tufa(
        &proj,
        &[
            "--json",
            "add",
            tmp.path()
                .join("bundle-windows-x86_64-1.2")
                .to_str()
                .unwrap(),
            "--version",
            "1.3",
            "--platform",
            "windows-x86_64",
            "--estimate",
        ],
    )
    .json();
    assert_eq!(est["previous"], "1.2");
    assert_eq!(est["unchanged_files"], 3, "its own 1.2: nothing changed");

    // A platform name that is not <os>-<arch> is refused before anything.
    let bad = tufa(
        &proj,
        &[
            "add",
            tmp.path().join("bundle-linux-x86_64-1.0").to_str().unwrap(),
            "--version",
            "2.0",
            "--platform",
            "Linux",
        ],
    );
    assert!(bad.error().contains("<os>-<arch>"), "{bad:?}");

    // The Python tufup client, configured with the app name of one
    // platform's stream, updates through that platform's patches.
    let py = tmp.path().join("python");
    let archive = repo.join("targets/demo-linux-x86_64-1.0.tar.gz");
    unpack_release(&archive, &py.join("install"));
    std::fs::create_dir_all(py.join("state/targets")).unwrap();
    std::fs::copy(
        &archive,
        py.join("state/targets/demo-linux-x86_64-1.0.tar.gz"),
    )
    .unwrap();
    let out = Command::new(python())
        .arg(workspace().join("scripts/tufup-client.py"))
        .args([
            "--url",
            &server.url,
            "--app",
            "demo-linux-x86_64",
            "--version",
            "1.0",
        ])
        .arg("--install-dir")
        .arg(py.join("install"))
        .arg("--state-dir")
        .arg(py.join("state"))
        .arg("--root")
        .arg(repo.join("metadata/1.root.json"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("via demo-linux-x86_64-1.1.patch, demo-linux-x86_64-1.2.patch"),
        "{stdout}"
    );
    assert!(
        stdout.contains("installed demo-linux-x86_64 1.2"),
        "{stdout}"
    );
    assert_eq!(
        fingerprint(&py.join("install")),
        fingerprint(&tmp.path().join("bundle-linux-x86_64-1.2"))
    );
}

#[test]
fn prune_and_remove_latest_per_platform() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = publish(tmp.path());
    let removed = tufa(
        &proj,
        &["--json", "remove-latest", "--platform", "macos-aarch64"],
    )
    .json();
    assert_eq!(removed["removed_version"], "1.2");
    // What targets.json lists, per platform.
    let listed = |proj: &Path| -> Vec<String> {
        let status = tufa(proj, &["--json", "status"]).json();
        status["platforms"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["releases"].as_array().unwrap().clone())
            .map(|r| r["archive"].as_str().unwrap().to_string())
            .collect()
    };
    let after_remove = listed(&proj);
    assert!(!after_remove.contains(&"demo-macos-aarch64-1.2.tar.gz".to_string()));
    assert!(after_remove.contains(&"demo-linux-x86_64-1.2.tar.gz".to_string()));
    // Each platform keeps its newest one.
    let pruned = tufa(&proj, &["--json", "prune", "--keep", "1"]).json();
    assert_eq!(
        pruned["removed_versions"],
        serde_json::json!(["1.0", "1.1"])
    );
    assert_eq!(
        listed(&proj),
        [
            "demo-linux-x86_64-1.2.tar.gz",
            "demo-macos-aarch64-1.1.tar.gz",
            "demo-windows-x86_64-1.2.tar.gz",
        ]
    );
}
