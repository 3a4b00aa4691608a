//! Upload destinations: S3 credentials saved in the real OS keyring (a
//! Secret Service started by scripts/with-keyring.sh) and "test
//! connection", against moto on 127.0.0.1 with IAM authentication on, so
//! that wrong credentials are really refused. No AWS_* variable reaches
//! tufa here: whatever authenticates comes from the keyring.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tufa_tests::moto::Moto;
use tufa_tests::*;

/// The two tests share one Secret Service, and its availability probe
/// writes and deletes one fixed entry: they take turns.
static KEYRING: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn require_keyring() -> std::sync::MutexGuard<'static, ()> {
    let turn = KEYRING.lock().unwrap_or_else(|e| e.into_inner());
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "these tests use the real OS keyring: run them under `bash scripts/with-keyring.sh` (scripts/test.sh does)"
    );
    tufa::publisher::keys::keyring_available().expect("the Secret Service answers");
    turn
}

/// An IAM access key pair moto knows.
struct Key {
    id: String,
    secret: String,
}

/// moto with bucket `bucket`, an IAM user allowed everything on S3 and one
/// allowed only to list, then authentication switched on (moto accepts
/// any signature until then).
fn moto_with_auth(bucket: &str) -> (Moto, Key, Key) {
    let moto = Moto::start(bucket);
    let script = r#"
import sys, json, boto3, urllib.request
ep = sys.argv[1]
iam = boto3.client('iam', endpoint_url=ep, aws_access_key_id='tufa-test',
                   aws_secret_access_key='tufa-test-secret', region_name='us-east-1')
out = []
for user, actions in (('publisher', ['s3:*']), ('reader', ['s3:ListBucket', 's3:GetObject'])):
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName='s3', PolicyDocument=json.dumps(
        {'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': actions, 'Resource': '*'}]}))
    k = iam.create_access_key(UserName=user)['AccessKey']
    out.append({'id': k['AccessKeyId'], 'secret': k['SecretAccessKey']})
urllib.request.urlopen(urllib.request.Request(ep + '/moto-api/reset-auth', data=b'0',
                       method='POST', headers={'Content-Type': 'text/plain'})).read()
print(json.dumps(out))
"#;
    let out = Command::new(python())
        .args(["-c", script, &moto.endpoint])
        .output()
        .expect("boto3");
    assert!(
        out.status.success(),
        "IAM setup failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let keys: Value = serde_json::from_slice(&out.stdout).expect("keys as JSON");
    let key = |i: usize| Key {
        id: keys[i]["id"].as_str().expect("id").into(),
        secret: keys[i]["secret"].as_str().expect("secret").into(),
    };
    let (publisher, reader) = (key(0), key(1));
    (moto, publisher, reader)
}

/// `tufa` with no AWS_* variable at all (not even one of this process),
/// `stdin` piped in.
fn tufa_clean(project: &Path, args: &[&str], stdin: &str) -> Run {
    use std::io::Write;
    let mut cmd = Command::new(tufa_bin());
    cmd.arg("--project").arg(project).args(args);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running tufa");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("writing stdin");
    let out = child.wait_with_output().expect("tufa's output");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn bundle(tmp: &Path, v: &str) -> String {
    let dir = tmp.join(format!("b-{v}"));
    let content: Vec<u8> = (0..40_000u32)
        .map(|i| (i * 7 + v.len() as u32) as u8)
        .collect();
    write_bundle(&dir, &[("app.bin", &content), ("VERSION", v.as_bytes())]);
    dir.to_str().expect("utf-8").to_string()
}

/// The JSON a `--json` test of the connection prints (exit 1 when not ok).
fn test_connection(proj: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["--json", "destination", "test"];
    args.extend_from_slice(extra);
    let run = tufa_clean(proj, &args, "");
    let v: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:#?}"));
    assert_eq!(
        run.code,
        Some(if v["ok"] == true { 0 } else { 1 }),
        "{run:#?}"
    );
    v
}

fn assert_no_secret(what: &str, text: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(!text.contains(s), "a secret appears in {what}:\n{text}");
    }
}

#[test]
fn credentials_saved_in_the_keyring_publish_without_any_environment() {
    let _turn = require_keyring();
    let (moto, key, _) = moto_with_auth("keyring-updates");
    let tmp = tempfile::tempdir().expect("tmp");
    let proj = init_project(tmp.path(), &[]);
    add_release(&proj, &bundle(tmp.path(), "1.0"), "1.0");
    tufa_clean(
        &proj,
        &[
            "--json",
            "destination",
            "set",
            "s3://keyring-updates/demo",
            "--endpoint",
            &moto.endpoint,
        ],
        "",
    )
    .json();

    // Nothing saved, nothing in the environment: a typed error at once,
    // not the SDK's wait for the EC2 instance-metadata service.
    let started = Instant::now();
    let none = tufa_clean(&proj, &["--json", "publish"], "");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(none.code, Some(1), "{none:#?}");
    let err: Value = serde_json::from_str(&none.stdout).expect("a JSON error");
    assert_eq!(err["error"]["code"], "no_credentials", "{none:#?}");
    assert_eq!(err["error"]["remedy"]["kind"], "save_credentials");
    assert_eq!(
        err["error"]["remedy"]["destination"],
        "s3://keyring-updates/demo"
    );
    assert!(
        err["error"]["hint"]
            .as_str()
            .expect("a hint")
            .contains("tufa destination save-credentials"),
        "{err}"
    );
    assert!(!none.stdout.contains("169.254"), "{none:#?}");
    let status = tufa_clean(&proj, &["--json", "destination", "show"], "").json();
    assert_eq!(status["source"], "missing");

    // Saved from stdin (as a script would; a person is prompted).
    let saved = tufa_clean(
        &proj,
        &[
            "--json",
            "destination",
            "save-credentials",
            "--access-key-id",
            &key.id,
        ],
        &format!("{}\n", key.secret),
    )
    .json();
    assert_eq!(saved["source"], "keyring");
    assert_eq!(saved["saved"], true);
    let entry = format!("s3:keyring-updates@{}", moto.endpoint);
    assert_eq!(saved["keyring_entry"], entry.as_str());
    let tail = &key.id[key.id.len() - 4..];
    assert_eq!(saved["access_key_id"], format!("…{tail}").as_str());
    // In the real keyring, under service tufa.
    let stored = Command::new("secret-tool")
        .args(["lookup", "service", "tufa", "username", &entry])
        .output()
        .expect("secret-tool");
    assert!(
        String::from_utf8_lossy(&stored.stdout).contains(&key.secret),
        "not in the keyring"
    );

    let ok = test_connection(&proj, &[]);
    assert_eq!(ok["outcome"]["kind"], "ok", "{ok}");
    assert_eq!(ok["credentials"], "keyring");

    // The upload authenticates with them; nothing secret in the log.
    let up = tufa_clean(&proj, &["-vvv", "--json", "publish"], "");
    assert_eq!(up.code, Some(0), "{up:#?}");
    let report: Value = serde_json::from_str(&up.stdout).expect("JSON");
    assert_eq!(
        report["upload"]["uploaded"]
            .as_array()
            .expect("uploaded")
            .last()
            .expect("a file"),
        "metadata/timestamp.json"
    );
    assert!(
        up.stderr
            .contains("using the S3 credentials saved in the OS keyring"),
        "{}",
        up.stderr
    );
    let secrets = [key.secret.as_str()];
    assert_no_secret("the upload's log", &up.stderr, &secrets);
    assert_no_secret("the upload's output", &up.stdout, &secrets);
    let toml = std::fs::read_to_string(proj.join("tufa.toml")).expect("tufa.toml");
    assert_no_secret("tufa.toml", &toml, &secrets);
    assert!(!toml.contains(&key.id), "{toml}");
    assert!(
        toml.contains("to = \"s3://keyring-updates/demo\""),
        "{toml}"
    );

    // Forgotten: back to the typed error.
    let forgotten = tufa_clean(&proj, &["--json", "destination", "forget-credentials"], "").json();
    assert_eq!(forgotten["saved"], false);
    assert_eq!(forgotten["source"], "missing");
    let again = tufa_clean(&proj, &["--json", "publish"], "");
    assert!(again.stdout.contains("\"no_credentials\""), "{again:#?}");
}

#[test]
fn test_connection_tells_each_failure_apart() {
    let _turn = require_keyring();
    let (moto, key, reader) = moto_with_auth("probe-updates");
    let tmp = tempfile::tempdir().expect("tmp");
    let proj = init_project(tmp.path(), &[]);
    let ep = moto.endpoint.as_str();
    let dest = ["--to", "s3://probe-updates/p", "--endpoint", ep];
    let save = |id: &str, secret: &str, to: &str, endpoint: &str| {
        tufa_clean(
            &proj,
            &[
                "--json",
                "destination",
                "save-credentials",
                "--to",
                to,
                "--endpoint",
                endpoint,
            ],
            &format!("{id}\n{secret}\n"),
        )
        .json()
    };
    let secrets = [
        key.secret.as_str(),
        reader.secret.as_str(),
        "wrong-secret-value",
    ];

    // No credentials: the remedy is to save some.
    let t = test_connection(&proj, &dest);
    assert_eq!(t["outcome"]["kind"], "no_credentials", "{t}");
    assert_eq!(t["remedy"]["kind"], "save_credentials");
    assert_eq!(t["credentials"], "missing");

    // A wrong secret, then an access key the server does not know.
    save(&key.id, "wrong-secret-value", "s3://probe-updates/p", ep);
    let t = test_connection(&proj, &dest);
    assert_eq!(t["outcome"]["kind"], "wrong_credentials", "{t}");
    assert!(
        t["outcome"]["reason"]
            .as_str()
            .expect("reason")
            .contains("SignatureDoesNotMatch"),
        "{t}"
    );
    assert_eq!(t["remedy"]["kind"], "save_credentials");
    assert_no_secret("a failed test", &t.to_string(), &secrets);
    // An upload with them stops with a typed error and the same remedy.
    let refused = tufa_clean(&proj, &[&["--json", "publish"][..], &dest[..]].concat(), "");
    assert_eq!(refused.code, Some(1), "{refused:#?}");
    let err: Value = serde_json::from_str(&refused.stdout).expect("a JSON error");
    assert_eq!(err["error"]["code"], "credentials_refused", "{err}");
    assert_eq!(err["error"]["remedy"]["kind"], "save_credentials");
    assert_eq!(
        err["error"]["remedy"]["destination"],
        "s3://probe-updates/p"
    );
    assert!(err.to_string().contains("SignatureDoesNotMatch"), "{err}");
    assert_no_secret("a refused upload", &refused.stdout, &secrets);
    save(
        "AKIAUNKNOWN000000000",
        &key.secret,
        "s3://probe-updates/p",
        ep,
    );
    let t = test_connection(&proj, &dest);
    assert_eq!(t["outcome"]["kind"], "wrong_credentials", "{t}");
    assert!(t.to_string().contains("InvalidAccessKeyId"), "{t}");
    assert_no_secret("a failed test", &t.to_string(), &secrets);

    // Valid credentials that may read but not write.
    save(&reader.id, &reader.secret, "s3://probe-updates/p", ep);
    let t = test_connection(&proj, &dest);
    assert_eq!(t["outcome"]["kind"], "access_denied", "{t}");
    assert!(
        t["summary"].as_str().expect("summary").contains("writing"),
        "{t}"
    );
    assert_no_secret("a failed test", &t.to_string(), &secrets);

    // The right ones: reachable and writable, the probe removed.
    save(&key.id, &key.secret, "s3://probe-updates/p", ep);
    let t = test_connection(&proj, &dest);
    assert_eq!(t["outcome"]["kind"], "ok", "{t}");
    assert_eq!(t["ok"], true);
    let listed = Command::new(python())
        .args([
            "-c",
            "import sys, boto3\n\
s3 = boto3.client('s3', endpoint_url=sys.argv[1], aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3], region_name='us-east-1')\n\
print(s3.list_objects_v2(Bucket='probe-updates').get('KeyCount'))",
            ep,
            &key.id,
            &key.secret,
        ])
        .output()
        .expect("boto3");
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout).trim(),
        "0",
        "{listed:?}"
    );

    // A bucket that does not exist (credentials saved for it).
    save(&key.id, &key.secret, "s3://no-such-bucket/p", ep);
    let t = test_connection(&proj, &["--to", "s3://no-such-bucket/p", "--endpoint", ep]);
    assert_eq!(t["outcome"]["kind"], "no_such_bucket", "{t}");
    assert_eq!(t["outcome"]["bucket"], "no-such-bucket");
    assert_eq!(t["remedy"]["kind"], "edit_destination");

    // An endpoint nobody listens on: answered at once, in other words.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let nowhere = format!("http://127.0.0.1:{closed}");
    save(&key.id, &key.secret, "s3://probe-updates/p", &nowhere);
    let started = Instant::now();
    let t = test_connection(
        &proj,
        &["--to", "s3://probe-updates/p", "--endpoint", &nowhere],
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(t["outcome"]["kind"], "unreachable", "{t}");
    assert_eq!(t["remedy"]["kind"], "edit_destination");
    assert_no_secret("a failed test", &t.to_string(), &secrets);

    // Words for people, without --json.
    let words = tufa_clean(
        &proj,
        &[
            "destination",
            "test",
            "--to",
            "s3://no-such-bucket/p",
            "--endpoint",
            ep,
        ],
        "",
    );
    assert_eq!(words.code, Some(1));
    assert!(
        words
            .stdout
            .starts_with("FAILED: the server has no bucket 'no-such-bucket'"),
        "{words:#?}"
    );

    // Folders: writable, or a file in the way.
    let www = tmp.path().join("www");
    let t = test_connection(&proj, &["--to", www.to_str().expect("utf-8")]);
    assert_eq!(t["outcome"]["kind"], "ok", "{t}");
    assert_eq!(t["credentials"], "not_needed");
    std::fs::write(&www, b"a file").expect("write");
    let t = test_connection(&proj, &["--to", www.to_str().expect("utf-8")]);
    assert_eq!(t["outcome"]["kind"], "not_a_folder", "{t}");

    let toml = std::fs::read_to_string(proj.join("tufa.toml")).expect("tufa.toml");
    assert_no_secret("tufa.toml", &toml, &secrets);
}
