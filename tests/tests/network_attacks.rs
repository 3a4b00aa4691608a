//! Attacks and accidents on the network path (security issue #11): a
//! server that drips bytes to stall clients forever, credentials that
//! follow redirects or show up in error messages, a transient HTTP
//! error that must not disable patching for good, and a user's Ctrl-C
//! in the middle of a slow download.

use serde_json::Value;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tufa_tests::server::{Fault, Server};
use tufa_tests::*;

/// Incompressible pseudo-random bytes, so that patches beat archives.
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

struct Repo {
    tmp: tempfile::TempDir,
    proj: PathBuf,
    server: Server,
}

/// Publishes 1.0 and 1.1 (a 200 KB binary changed a little, so that the
/// patch is far smaller than the archive) and serves the repository.
fn publish() -> Repo {
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &[]);
    for (i, v) in ["1.0", "1.1"].iter().enumerate() {
        let dir = tmp.path().join(format!("bundle-{v}"));
        let mut bin = noise(7, 200_000);
        if i == 1 {
            bin[10_000..10_500].copy_from_slice(&noise(100, 500));
        }
        write_bundle(&dir, &[("app.bin", &bin), ("VERSION", v.as_bytes())]);
        add_release(&proj, dir.to_str().unwrap(), v);
    }
    let server = Server::start(proj.join("repository"));
    Repo { tmp, proj, server }
}

/// `tufa --json update` from 1.0 with `extra` flags against `base_url`,
/// killed (and the test failed) if it is still running after `limit`:
/// a stalled client must show up as a failure, not as a hung test.
fn update_within(
    repo: &Repo,
    dirs: &ClientDirs,
    base_url: &str,
    extra: &[&str],
    env: &[(&str, &str)],
    limit: Duration,
) -> Run {
    run_within(update_command(repo, dirs, base_url, extra, env), limit)
}

/// The `tufa --json update` command from 1.0, output piped.
fn update_command(
    repo: &Repo,
    dirs: &ClientDirs,
    base_url: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Command {
    let md = format!("{base_url}/metadata");
    let tg = format!("{base_url}/targets");
    let mut cmd = Command::new(tufa_bin());
    cmd.arg("--project")
        .arg(&repo.proj)
        .args([
            "--json",
            "update",
            "--app",
            "demo",
            "--current-version",
            "1.0",
        ])
        .arg("--install-dir")
        .arg(&dirs.install)
        .arg("--metadata-dir")
        .arg(&dirs.meta)
        .arg("--cache-dir")
        .arg(&dirs.cache)
        .args(["--metadata-url", &md, "--targets-url", &tg, "--purge"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn run_within(mut cmd: Command, limit: Duration) -> Run {
    let mut child = cmd.spawn().expect("starting tufa");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for tufa") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("tufa was still waiting after {limit:?}: the client stalled");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Run {
        code: status.code(),
        stdout: reader.join().expect("stdout reader"),
        stderr: err_reader.join().expect("stderr reader"),
    }
}

fn error_of(run: &Run) -> (String, String) {
    assert_eq!(run.code, Some(1), "expected failure: {run:#?}");
    let v: Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("bad JSON ({e}): {run:#?}"));
    (
        v["error"]["code"].as_str().unwrap_or_default().to_string(),
        v["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    )
}

fn fetched(v: &Value) -> Vec<String> {
    v["fetched"]
        .as_array()
        .expect("fetched list")
        .iter()
        .map(|f| f["name"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Updates from 1.0 with nothing in the way: 1.1 by its patch.
fn update_by_patch(repo: &Repo, dirs: &ClientDirs) {
    let v = update_within(
        repo,
        dirs,
        &repo.server.url,
        &[],
        &[],
        Duration::from_secs(60),
    )
    .json();
    assert_eq!(fetched(&v), ["demo-1.1.patch"], "{v}");
    assert_eq!(installed(dirs), "1.1");
}

fn installed(dirs: &ClientDirs) -> String {
    std::fs::read_to_string(dirs.install.join("VERSION")).unwrap()
}

fn failed_patches(dirs: &ClientDirs) -> String {
    std::fs::read_to_string(dirs.cache.join("failed-patches.json")).unwrap_or_default()
}

/// Small limits, so that the tests take seconds: nothing here measures
/// speed, only that the client gives up with the right error.
const FAST_LIMITS: [&str; 6] = [
    "--metadata-timeout",
    "2",
    "--min-speed",
    "1024",
    "--speed-window",
    "2",
];

// ---- 3. slow retrieval -------------------------------------------------

#[test]
fn a_server_dripping_metadata_is_cut_off_as_slow_retrieval() {
    let repo = publish();
    let dirs = ClientDirs::install(&repo.tmp.path().join("c"), &repo.proj, Some("1.0"), false);
    let before = fingerprint(&dirs.install);
    repo.server.fault(
        "/metadata/timestamp.json",
        Fault::Drip(Duration::from_millis(200)),
    );
    let run = update_within(
        &repo,
        &dirs,
        &repo.server.url,
        &FAST_LIMITS,
        &[],
        Duration::from_secs(60),
    );
    let (code, message) = error_of(&run);
    assert_eq!(code, "slow_retrieval", "{run:#?}");
    assert!(message.contains("timestamp.json"), "{message}");
    assert_eq!(fingerprint(&dirs.install), before);
}

#[test]
fn a_server_dripping_a_target_is_cut_off_as_slow_retrieval() {
    let repo = publish();
    let dirs = ClientDirs::install(&repo.tmp.path().join("c"), &repo.proj, Some("1.0"), false);
    let before = fingerprint(&dirs.install);
    repo.server.fault(
        "/targets/demo-1.1.tar.gz",
        Fault::Drip(Duration::from_millis(200)),
    );
    let run = update_within(
        &repo,
        &dirs,
        &repo.server.url,
        &FAST_LIMITS,
        &[],
        Duration::from_secs(60),
    );
    let (code, message) = error_of(&run);
    assert_eq!(code, "slow_retrieval", "{run:#?}");
    assert!(message.contains("demo-1.1.tar.gz"), "{message}");
    assert_eq!(fingerprint(&dirs.install), before);
}

#[test]
fn a_dripped_patch_falls_back_without_marking_the_chain_failed() {
    let repo = publish();
    let dirs = ClientDirs::install(&repo.tmp.path().join("c"), &repo.proj, Some("1.0"), true);
    repo.server.fault(
        "/targets/demo-1.1.patch",
        Fault::Drip(Duration::from_millis(200)),
    );
    let run = update_within(
        &repo,
        &dirs,
        &repo.server.url,
        &FAST_LIMITS,
        &[],
        Duration::from_secs(60),
    );
    let v = run.json();
    assert_eq!(fetched(&v), ["demo-1.1.tar.gz"], "{v}");
    assert!(
        v["fell_back"]
            .as_str()
            .unwrap_or_default()
            .contains("too slow"),
        "{v}"
    );
    assert_eq!(installed(&dirs), "1.1");
    assert!(!failed_patches(&dirs).contains("demo-1.1.patch"));
}

#[test]
fn tufa_verify_is_bounded_too() {
    let repo = publish();
    repo.server.fault(
        "/targets/demo-1.1.tar.gz",
        Fault::Drip(Duration::from_millis(200)),
    );
    let mut cmd = Command::new(tufa_bin());
    cmd.args(["--json", "verify", &repo.server.url])
        .args(FAST_LIMITS)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let run = run_within(cmd, Duration::from_secs(60));
    assert_eq!(run.code, Some(1), "{run:#?}");
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    let problems = v["problems"].to_string();
    assert!(
        problems.contains("targets/demo-1.1.tar.gz: slow retrieval"),
        "{problems}"
    );

    repo.server.clear_faults();
    repo.server.fault(
        "/metadata/timestamp.json",
        Fault::Drip(Duration::from_millis(200)),
    );
    let mut cmd = Command::new(tufa_bin());
    cmd.args(["--json", "verify", &repo.server.url])
        .args(FAST_LIMITS)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let run = run_within(cmd, Duration::from_secs(60));
    let (code, message) = error_of(&run);
    assert_eq!(code, "slow_retrieval", "{run:#?}");
    assert!(message.contains("timestamp.json"), "{message}");
}

// ---- 4. credentials ----------------------------------------------------

#[test]
fn extra_headers_do_not_follow_a_redirect_to_another_origin() {
    let repo = publish();
    let other = Server::start(repo.proj.join("repository"));
    repo.server.fault(
        "/targets/demo-1.1.tar.gz",
        Fault::Redirect(format!("{}/targets/demo-1.1.tar.gz", other.url)),
    );
    let dirs = ClientDirs::install(&repo.tmp.path().join("c"), &repo.proj, Some("1.0"), false);
    let run = update_within(
        &repo,
        &dirs,
        &repo.server.url,
        &[
            "--header",
            "X-Api-Key: key-for-a-only",
            "--header",
            "Authorization: Bearer token-for-a-only",
        ],
        &[],
        Duration::from_secs(60),
    );
    let v = run.json();
    assert_eq!(fetched(&v), ["demo-1.1.tar.gz"]);
    assert_eq!(installed(&dirs), "1.1");
    // The origin that was configured got the credentials …
    let at_a = repo.server.received();
    let ts = at_a
        .iter()
        .find(|r| r.path == "/metadata/timestamp.json")
        .expect("timestamp fetched from A");
    assert_eq!(ts.header("x-api-key"), Some("key-for-a-only"));
    // … the one it redirected to did not.
    let at_b = other.received();
    assert!(
        at_b.iter().any(|r| r.path == "/targets/demo-1.1.tar.gz"),
        "the redirect was not followed: {:?}",
        other.log()
    );
    for r in &at_b {
        assert_eq!(r.header("x-api-key"), None, "{r:?}");
        assert_eq!(r.header("authorization"), None, "{r:?}");
    }
}

#[test]
fn a_password_in_the_url_is_never_shown() {
    // Nothing listening: bind a port, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let repo = publish();
    let dirs = ClientDirs::install(&repo.tmp.path().join("c"), &repo.proj, Some("1.0"), false);
    let down = format!("http://user:secretpw@127.0.0.1:{port}");
    // A server answering 404 for everything.
    let empty = tempfile::tempdir().unwrap();
    let missing = Server::start(empty.path().to_path_buf());
    let not_found = missing.url.replace("http://", "http://user:secretpw@");
    for (base, code) in [(&down, "offline"), (&not_found, "verification_failed")] {
        let host = base.rsplit('@').next().unwrap_or_default().to_string();
        for json in [true, false] {
            let dirs_args = [
                "--project",
                repo.proj.to_str().unwrap(),
                "update",
                "--app",
                "demo",
                "--current-version",
                "1.0",
                "--install-dir",
                dirs.install.to_str().unwrap(),
                "--metadata-dir",
                dirs.meta.to_str().unwrap(),
                "--cache-dir",
                dirs.cache.to_str().unwrap(),
            ];
            let mut cmd = Command::new(tufa_bin());
            if json {
                cmd.arg("--json");
            }
            cmd.args(dirs_args)
                .args(["--metadata-url", &format!("{base}/metadata")])
                .args(["--targets-url", &format!("{base}/targets")])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            let run = run_within(cmd, Duration::from_secs(60));
            assert_eq!(run.code, Some(1), "{run:#?}");
            let shown = format!("{}{}", run.stdout, run.stderr);
            assert!(!shown.contains("secretpw"), "password shown: {shown}");
            assert!(shown.contains(&host), "host not shown: {shown}");
            if json {
                assert_eq!(error_of(&run).0, code, "{run:#?}");
            }
        }
    }
}

#[test]
fn headers_come_from_a_file_or_the_environment_not_only_the_command_line() {
    let repo = publish();
    let file = repo.tmp.path().join("headers.txt");
    std::fs::write(
        &file,
        "# API access for the update server\nX-Api-Key: from-the-file\n\nX-Tenant:  acme \n",
    )
    .unwrap();
    let dirs = ClientDirs::install(&repo.tmp.path().join("c"), &repo.proj, Some("1.0"), false);
    let run = update_within(
        &repo,
        &dirs,
        &repo.server.url,
        &["--check-only", "--header-file", file.to_str().unwrap()],
        &[],
        Duration::from_secs(60),
    );
    run.json();
    let got = repo.server.received();
    let ts = got
        .iter()
        .find(|r| r.path == "/metadata/timestamp.json")
        .expect("timestamp fetched");
    assert_eq!(ts.header("x-api-key"), Some("from-the-file"));
    assert_eq!(ts.header("x-tenant"), Some("acme"));

    let dirs = ClientDirs::install(&repo.tmp.path().join("d"), &repo.proj, Some("1.0"), false);
    let seen = repo.server.received().len();
    let run = update_within(
        &repo,
        &dirs,
        &repo.server.url,
        &["--check-only"],
        &[(
            "TUFA_HTTP_HEADERS",
            "X-Api-Key: from-the-environment\nX-Tenant: acme",
        )],
        Duration::from_secs(60),
    );
    run.json();
    let got = repo.server.received();
    let ts = got[seen..]
        .iter()
        .find(|r| r.path == "/metadata/timestamp.json")
        .expect("timestamp fetched");
    assert_eq!(ts.header("x-api-key"), Some("from-the-environment"));
    assert_eq!(ts.header("x-tenant"), Some("acme"));

    // A malformed line is a usage error naming the line, not a silently
    // missing credential (and the value is not echoed).
    std::fs::write(&file, "X-Api-Key from-the-file-no-colon\n").unwrap();
    let run = update_within(
        &repo,
        &dirs,
        &repo.server.url,
        &["--check-only", "--header-file", file.to_str().unwrap()],
        &[],
        Duration::from_secs(60),
    );
    assert_eq!(run.code, Some(1), "{run:#?}");
    assert!(run.stdout.contains("line 1"), "{run:#?}");
    assert!(!run.stdout.contains("from-the-file-no-colon"), "{run:#?}");
}

// ---- 7. a transient failure does not disable patching ------------------

#[test]
fn a_503_on_the_patch_and_the_archive_is_offline_and_the_next_run_patches() {
    let repo = publish();
    let dirs = ClientDirs::install(&repo.tmp.path().join("c"), &repo.proj, Some("1.0"), true);
    repo.server
        .fault("/targets/demo-1.1.patch", Fault::StatusOnce(503));
    repo.server
        .fault("/targets/demo-1.1.tar.gz", Fault::StatusOnce(503));
    let run = update_within(
        &repo,
        &dirs,
        &repo.server.url,
        &[],
        &[],
        Duration::from_secs(60),
    );
    let (code, _) = error_of(&run);
    assert_eq!(code, "offline", "{run:#?}");
    assert!(
        !failed_patches(&dirs).contains("demo-1.1.patch"),
        "{}",
        failed_patches(&dirs)
    );
    assert_eq!(installed(&dirs), "1.0");

    let seen = repo.server.log().len();
    update_by_patch(&repo, &dirs);
    let log = repo.server.log();
    let second = &log[seen..];
    assert!(
        second.iter().any(|l| l == "GET /targets/demo-1.1.patch"),
        "{second:?}"
    );
    assert!(
        !second.iter().any(|l| l.contains("demo-1.1.tar.gz")),
        "{second:?}"
    );
}

#[test]
fn a_503_on_the_patch_alone_falls_back_without_marking_it() {
    let repo = publish();
    let dirs = ClientDirs::install(&repo.tmp.path().join("c"), &repo.proj, Some("1.0"), true);
    repo.server
        .fault("/targets/demo-1.1.patch", Fault::StatusOnce(503));
    let v = update_within(
        &repo,
        &dirs,
        &repo.server.url,
        &[],
        &[],
        Duration::from_secs(60),
    )
    .json();
    assert_eq!(fetched(&v), ["demo-1.1.tar.gz"], "{v}");
    assert_eq!(installed(&dirs), "1.1");
    assert!(
        !failed_patches(&dirs).contains("demo-1.1.patch"),
        "{}",
        failed_patches(&dirs)
    );
}

// ---- 5. Ctrl-C ---------------------------------------------------------

#[test]
fn ctrl_c_during_a_download_leaves_nothing_half_written_and_the_next_update_works() {
    let repo = publish();
    let dirs = ClientDirs::install(&repo.tmp.path().join("c"), &repo.proj, Some("1.0"), true);
    let before = fingerprint(&dirs.install);
    repo.server.fault(
        "/targets/demo-1.1.patch",
        Fault::Drip(Duration::from_millis(100)),
    );
    let mut child = update_command(&repo, &dirs, &repo.server.url, &[], &[])
        .spawn()
        .expect("starting tufa");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !repo
        .server
        .log()
        .iter()
        .any(|l| l.contains("demo-1.1.patch"))
    {
        assert!(Instant::now() < deadline, "the patch was never requested");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Some bytes of the patch are in.
    std::thread::sleep(Duration::from_millis(500));
    // SAFETY: sends SIGINT to the child we started.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let output = {
        let started = Instant::now();
        loop {
            if child.try_wait().expect("wait").is_some() {
                break child.wait_with_output().expect("output");
            }
            if started.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                panic!("tufa did not stop after Ctrl-C");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let run = Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert_eq!(run.code, Some(130), "{run:#?}");
    let v: Value = serde_json::from_str(&run.stdout).expect("JSON error");
    assert_eq!(v["error"]["code"], "cancelled", "{run:#?}");
    assert_eq!(fingerprint(&dirs.install), before, "the install changed");
    let leftovers: Vec<String> = std::fs::read_dir(&dirs.cache)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("1.1"))
        .collect();
    assert!(leftovers.is_empty(), "half-written: {leftovers:?}");
    assert!(!failed_patches(&dirs).contains("demo-1.1.patch"));

    repo.server.clear_faults();
    update_by_patch(&repo, &dirs);
}
