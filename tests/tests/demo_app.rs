//! The demo app updates itself: two versions published with the engine,
//! served over HTTP, the installed 1.0 binary replaced by 2.0.

use std::process::Command;
use tufa_tests::server::Server;
use tufa_tests::*;

#[test]
fn demo_app_updates_itself_from_1_0_to_2_0() {
    let demo = tufa_bin().with_file_name("examples").join("demo_app");
    assert!(
        demo.exists(),
        "{} missing: run `cargo build --workspace --bins --examples` first (scripts/test.sh does)",
        demo.display()
    );
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &[]);
    let root = std::fs::read(proj.join("repository/metadata/1.root.json")).unwrap();
    let binary = std::fs::read(&demo).unwrap();
    for v in ["1.0", "2.0"] {
        let b = tmp.path().join(format!("bundle-{v}"));
        write_bundle(
            &b,
            &[
                ("demo_app", &binary),
                ("VERSION", v.as_bytes()),
                ("root.json", &root),
            ],
        );
        std::fs::set_permissions(
            b.join("demo_app"),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        let meta = format!(r#"{{"notes": "demo {v}"}}"#);
        tufa(
            &proj,
            &[
                "--json",
                "add",
                b.to_str().unwrap(),
                "--version",
                v,
                "--meta",
                &meta,
            ],
        )
        .json();
    }
    let server = Server::start(proj.join("repository"));
    // "Install" 1.0 as a user would: unpack its archive.
    let install = tmp.path().join("apps/demo");
    unpack_release(&proj.join("repository/targets/demo-1.0.tar.gz"), &install);
    let run = |args: &[&str]| {
        let out = Command::new(install.join("demo_app"))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(run(&[]), "demo 1.0\n");
    let out = run(&["--update", &server.url]);
    assert!(out.contains("update 1.0 -> 2.0"), "{out}");
    assert!(out.contains("release notes: \"demo 2.0\""), "{out}");
    assert!(out.contains("updated to 2.0"), "{out}");
    assert_eq!(run(&[]), "demo 2.0\n");
    assert!(run(&["--update", &server.url]).contains("up to date"));
}
