//! `tufa -v` prints the engine's log trail on stderr, and `--json` stdout
//! stays parseable; credentials in URLs never reach the log.

use tufa_tests::server::Server;
use tufa_tests::*;

#[test]
fn verbose_logs_on_stderr_and_keeps_json_clean() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &[]);
    let b = tmp.path().join("b");
    write_bundle(&b, &[("app.bin", b"one")]);
    let run = tufa(
        &proj,
        &[
            "-v",
            "--json",
            "add",
            b.to_str().unwrap(),
            "--version",
            "1.0",
        ],
    );
    let v = run.json();
    assert_eq!(v["outcome"]["published"], true);
    assert!(run.stderr.contains("adding a release"), "{}", run.stderr);
    assert!(
        run.stderr.contains("repository change committed"),
        "{}",
        run.stderr
    );

    let dirs = ClientDirs::install(&tmp.path().join("c"), &proj, None, false);
    write_bundle(&b, &[("app.bin", b"two")]);
    add_release(&proj, b.to_str().unwrap(), "1.1");
    let server = Server::start(proj.join("repository"));
    let with_password = server.url.replace("http://", "http://user:s3cret@");
    let at = Install {
        install: &dirs.install,
        meta: &dirs.meta,
        cache: &dirs.cache,
    };
    let run = update_app(tmp.path(), &at, "1.0", &with_password, &["-vv"], &[]);
    let v = run.json();
    assert_eq!(v["fetched"][0]["name"], "demo-1.1.tar.gz");
    for step in [
        "timestamp trusted",
        "update found",
        "downloading",
        "installed",
    ] {
        assert!(
            run.stderr.contains(step),
            "{step:?} missing: {}",
            run.stderr
        );
    }
    assert!(!run.stderr.contains("s3cret"), "{}", run.stderr);

    let quiet = tufa(&proj, &["--json", "status"]);
    assert!(
        quiet.stderr.is_empty(),
        "no log without -v: {}",
        quiet.stderr
    );
}
