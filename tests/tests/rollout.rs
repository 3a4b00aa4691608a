//! Staged rollout, pause and pull end to end: the `tufa` commands write
//! the rollout into signed targets.json and real `tufa update` runs follow
//! it, down to a pulled release's clients going back by full archive.

use serde_json::Value;
use std::path::{Path, PathBuf};
use tufa_tests::server::Server;
use tufa_tests::*;

struct Client {
    install: PathBuf,
    meta: PathBuf,
    cache: PathBuf,
}

impl Client {
    fn new(tmp: &Path, repo: &Path, name: &str, version: &str) -> Client {
        let base = tmp.join(name);
        let (install, meta, cache) = (base.join("install"), base.join("meta"), base.join("cache"));
        for d in [&install, &meta, &cache] {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::copy(repo.join("metadata/1.root.json"), meta.join("root.json")).unwrap();
        let tar = unpack_release(
            &repo.join(format!("targets/demo-{version}.tar.gz")),
            &install,
        );
        std::fs::write(cache.join(format!("demo-{version}.tar")), tar).unwrap();
        Client {
            install,
            meta,
            cache,
        }
    }

    fn update(&self, cwd: &Path, url: &str, version: &str, extra: &[&str]) -> Value {
        let at = Install {
            install: &self.install,
            meta: &self.meta,
            cache: &self.cache,
        };
        update_app(cwd, &at, version, url, extra, &[]).json()
    }
}

fn bundle(tmp: &Path, version: &str) -> PathBuf {
    let dir = tmp.join(format!("bundle-{version}"));
    write_bundle(
        &dir,
        &[("VERSION", version.as_bytes()), ("app.txt", b"the app")],
    );
    dir
}

#[test]
fn rollout_pause_and_pull_with_real_updates() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let proj = init_project(t, &[]);
    add_release(&proj, bundle(t, "1.0").to_str().unwrap(), "1.0");
    let added = tufa(
        &proj,
        &[
            "--json",
            "add",
            bundle(t, "1.1").to_str().unwrap(),
            "--version",
            "1.1",
            "--rollout",
            "0%",
        ],
    )
    .json();
    assert_eq!(added["outcome"]["published"], true);
    let repo = proj.join("repository");
    let targets = read_json(&repo.join("metadata/targets.json"));
    assert_eq!(
        targets["signed"]["targets"]["demo-1.1.tar.gz"]["custom"]["tufa"],
        serde_json::json!({"rollout": {"percent": 0, "state": "rolling"}})
    );
    assert!(
        targets["signed"]["targets"]["demo-1.0.tar.gz"]["custom"]
            .get("tufa")
            .is_none(),
        "plain releases keep tufup's custom layout"
    );
    let server = Server::start(repo.clone());
    let url = &server.url;

    // At 0% nobody takes 1.1, except a tester; the install id is created
    // once, in the metadata dir.
    let a = Client::new(t, &repo, "a", "1.0");
    assert_eq!(
        a.update(t, url, "1.0", &["--check-only"])["update"],
        Value::Null
    );
    let id = std::fs::read_to_string(a.meta.join("install-id")).unwrap();
    assert_eq!(id.len(), 32);
    assert_eq!(
        a.update(t, url, "1.0", &["--check-only"])["update"],
        Value::Null
    );
    assert_eq!(
        std::fs::read_to_string(a.meta.join("install-id")).unwrap(),
        id
    );
    let tester = Client::new(t, &repo, "tester", "1.0");
    let v = tester.update(t, url, "1.0", &["--ignore-rollout"]);
    assert_eq!(v["installed_version"], "1.1");

    // 100%: everybody.
    let status = tufa(&proj, &["rollout", "1.1", "25%"]);
    assert!(
        status.stdout.contains("demo-1.1.tar.gz: rolling out 25%"),
        "{status:?}"
    );
    tufa(&proj, &["--json", "rollout", "1.1", "100"]).json();
    let v = a.update(t, url, "1.0", &[]);
    assert_eq!(v["installed_version"], "1.1");
    assert_eq!(
        std::fs::read_to_string(a.install.join("VERSION")).unwrap(),
        "1.1"
    );

    // A copy of the repository as it was before the release was paused
    // and pulled: what an attacker replays to keep 1.1 going out.
    let old_copy = t.join("old-copy");
    copy_dir(&repo, &old_copy);

    // Paused: a client still on 1.0 stays there.
    let b = Client::new(t, &repo, "b", "1.0");
    tufa(&proj, &["--json", "rollout", "1.1", "pause"]).json();
    let text = tufa(&proj, &["status"]).stdout;
    assert!(text.contains("paused at 100%"), "{text}");
    assert_eq!(b.update(t, url, "1.0", &[])["update"], Value::Null);

    // Pulled: the client on 1.1 goes back to 1.0 by the full archive, every
    // byte checked against the signed metadata; the one on 1.0 stays.
    let pulled = tufa(&proj, &["--json", "pull", "1.1"]).json();
    assert_eq!(pulled["changed"][0]["rollback_to"], "1.0");
    let v = a.update(t, url, "1.1", &[]);
    assert_eq!(v["update"]["rollback"], true);
    assert_eq!(v["update"]["method"], "full");
    let fetched: Vec<&str> = v["fetched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(fetched, ["demo-1.0.tar.gz"]);
    assert_eq!(v["installed_version"], "1.0");
    assert_eq!(fingerprint(&a.install), fingerprint(&t.join("bundle-1.0")));
    let text = a_text(&a, t, url);
    assert!(text.contains("is up to date"), "{text}");
    assert_eq!(b.update(t, url, "1.0", &[])["update"], Value::Null);
    // Replaying the older, still unexpired metadata (1.1 out to everyone)
    // to a client that saw the pull is refused: nothing is installed.
    let replay = Server::start(old_copy);
    let before = fingerprint(&b.install);
    let at = Install {
        install: &b.install,
        meta: &b.meta,
        cache: &b.cache,
    };
    let refused = update_app(t, &at, "1.0", &replay.url, &[], &[]);
    refused.error();
    let report: Value = serde_json::from_str(&refused.stdout).unwrap();
    assert_eq!(report["error"]["code"], "verification_failed");
    let message = report["error"]["message"].as_str().unwrap();
    assert!(message.contains("(rollback)"), "{message}");
    assert_eq!(fingerprint(&b.install), before);
    // Not even a tester gets a pulled release.
    assert_eq!(
        b.update(t, url, "1.0", &["--ignore-rollout"])["update"],
        Value::Null
    );
}

/// `tufa update` in words for client `a` at 1.0.
fn a_text(a: &Client, t: &Path, url: &str) -> String {
    let md = format!("{url}/metadata");
    let tg = format!("{url}/targets");
    let run = tufa(
        t,
        &[
            "update",
            "--app",
            "demo",
            "--current-version",
            "1.0",
            "--install-dir",
            a.install.to_str().unwrap(),
            "--metadata-dir",
            a.meta.to_str().unwrap(),
            "--cache-dir",
            a.cache.to_str().unwrap(),
            "--metadata-url",
            &md,
            "--targets-url",
            &tg,
        ],
    );
    run.stdout
}
