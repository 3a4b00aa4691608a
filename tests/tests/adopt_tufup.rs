//! Adopting a tufup project (a copy of the generated fixture): afterwards the
//! Python tufup client trusting the old 1.root.json and Tufa's client
//! trusting the new root both update to a release Tufa publishes.

use std::process::Command;
use tufa_tests::server::Server;
use tufa_tests::*;

#[test]
fn adopted_tufup_repository_serves_python_and_tufa_clients() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("tufup-project");
    copy_dir(&fixture(), &project);
    let v = tufa(
        tmp.path(),
        &[
            "--json",
            "adopt-tufup",
            project.to_str().unwrap(),
            "--keys-dir",
            "tufa-keys",
        ],
    )
    .json();
    assert_eq!(v["outcome"]["versions"][0]["to"], 3);
    let root3 = read_json(&project.join("repository/metadata/3.root.json"));
    // tufup's legacy id of its root key after the rotation (root_two).
    let root2 = read_json(&fixture().join("repository/metadata/2.root.json"));
    let legacy_id = root2["signed"]["roles"]["root"]["keyids"][0]
        .as_str()
        .expect("root key id in 2.root.json");
    // Signed for tufup clients (legacy ids of root 2) and for itself.
    let sigs: Vec<&str> = root3["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["keyid"].as_str().unwrap())
        .collect();
    assert!(sigs.contains(&legacy_id), "{sigs:?}");
    assert_eq!(sigs.len(), 2);
    let again = tufa(
        tmp.path(),
        &[
            "--json",
            "adopt-tufup",
            project.to_str().unwrap(),
            "--keys-dir",
            "k2",
        ],
    );
    assert!(
        again.stdout.contains("already managed by Tufa"),
        "{again:#?}"
    );

    // A new release, 2.1, published by Tufa: the patch comes from tufup's 2.0 archive.
    let bundles = fixture_bundles(&tmp.path().join("bundles"));
    let b21 = tmp.path().join("bundle-2.1");
    copy_dir(&bundles.join("2.0"), &b21);
    std::fs::write(b21.join("VERSION"), "2.1\n").unwrap();
    std::fs::write(b21.join("main.py"), "print('demo 2.1')\n").unwrap();
    let added = add_release(&project, b21.to_str().unwrap(), "2.1");
    assert_eq!(added["plan"]["patch"]["name"], "demo-2.1.patch");
    let server = Server::start(project.join("repository"));
    let expected = fingerprint(&b21);

    // The Python tufup client in the field: trusts the original 1.root.json,
    // installed at 2.0 with its archive cached.
    let py = tmp.path().join("py");
    unpack_release(
        &project.join("repository/targets/demo-2.0.tar.gz"),
        &py.join("install"),
    );
    std::fs::create_dir_all(py.join("state/targets")).unwrap();
    std::fs::copy(
        project.join("repository/targets/demo-2.0.tar.gz"),
        py.join("state/targets/demo-2.0.tar.gz"),
    )
    .unwrap();
    let out = Command::new(python())
        .arg(workspace().join("scripts/tufup-client.py"))
        .args(["--url", &server.url, "--app", "demo", "--version", "2.0"])
        .arg("--install-dir")
        .arg(py.join("install"))
        .arg("--state-dir")
        .arg(py.join("state"))
        .arg("--root")
        .arg(fixture().join("repository/metadata/1.root.json"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("via demo-2.1.patch"), "{stdout}");
    assert_eq!(fingerprint(&py.join("install")), expected);
    let trusted = read_json(&py.join("state/metadata/root.json"));
    assert_eq!(
        trusted["signed"]["version"], 3,
        "the Python client walked to the adopted root"
    );

    // Tufa's client, from the adopted root on.
    let c = tmp.path().join("tufa-client");
    let tar = unpack_release(
        &project.join("repository/targets/demo-2.0.tar.gz"),
        &c.join("install"),
    );
    std::fs::create_dir_all(c.join("meta")).unwrap();
    std::fs::create_dir_all(c.join("cache")).unwrap();
    std::fs::write(c.join("cache/demo-2.0.tar"), tar).unwrap();
    std::fs::copy(
        project.join("repository/metadata/3.root.json"),
        c.join("meta/root.json"),
    )
    .unwrap();
    let (install, meta, cache) = (c.join("install"), c.join("meta"), c.join("cache"));
    let at = Install {
        install: &install,
        meta: &meta,
        cache: &cache,
    };
    let v = update_app(tmp.path(), &at, "2.0", &server.url, &[], &[]).json();
    assert_eq!(v["fetched"][0]["name"], "demo-2.1.patch");
    assert_eq!(fingerprint(&c.join("install")), expected);
}
