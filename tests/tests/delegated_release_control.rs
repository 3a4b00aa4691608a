//! Release control on a delegated platform: once `tufa platform delegate
//! linux-x86_64` moved the platform's releases into a role of its own,
//! status lists them from there, rollout, pause and pull change that role
//! (signed by the platform's key alone: the targets key is away
//! throughout) and real clients of the platform follow; remove-latest and
//! prune take its releases back, files included. A replay of the role's
//! older, wider rollout is refused once it has expired, and at once by a
//! client that saw the newer one.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tufa::publisher::project::{KeyLocation, Project};
use tufa_tests::server::Server;
use tufa_tests::*;

const LINUX: &str = "linux-x86_64";
const WINDOWS: &str = "windows-x86_64";

/// A bundle of `platform` at release number `index`: mostly shared with
/// the other releases, so patches beat archives.
fn bundle(root: &Path, platform: &str, version: &str, index: usize) -> PathBuf {
    let seed = if platform == LINUX { 7 } else { 11 };
    platform_bundle(root, platform, version, index, seed, 100_000)
}

fn add(proj: &Path, tmp: &Path, platform: &str, version: &str, index: usize, extra: &[&str]) {
    let b = bundle(tmp, platform, version, index);
    let mut args = vec![
        "--json",
        "add",
        b.to_str().unwrap(),
        "--version",
        version,
        "--platform",
        platform,
    ];
    args.extend_from_slice(extra);
    let run = tufa(proj, &args);
    assert_eq!(run.code, Some(0), "{run:#?}");
}

fn delegate(proj: &Path, platform: &str) -> Value {
    tufa(
        proj,
        &[
            "--json",
            "platform",
            "delegate",
            platform,
            "--key-store",
            "file",
        ],
    )
    .json()
}

fn md(proj: &Path, file: &str) -> Value {
    read_json(&proj.join("repository/metadata").join(file))
}

fn version_of(proj: &Path, file: &str) -> u64 {
    md(proj, file)["signed"]["version"].as_u64().unwrap()
}

/// Moves the top-level targets key away (a CI runner of the delegated
/// platform holds only that platform's key); returns a guard that puts it
/// back.
struct TargetsKeyAway {
    key: PathBuf,
    away: PathBuf,
}

impl TargetsKeyAway {
    fn new(proj: &Path, tmp: &Path) -> Self {
        let project = Project::load(proj).unwrap();
        let name = &project
            .roles
            .iter()
            .find(|(r, _)| r.as_str() == "targets")
            .unwrap()
            .1
            .keys[0];
        let KeyLocation::File(rel) = &project.keys[name].location else {
            panic!("file key expected")
        };
        let key = proj.join(rel);
        let away = tmp.join("targets-key-away.pem");
        std::fs::rename(&key, &away).unwrap();
        TargetsKeyAway { key, away }
    }
}

impl Drop for TargetsKeyAway {
    fn drop(&mut self) {
        let _ = std::fs::rename(&self.away, &self.key);
    }
}

/// An install of `platform` at `version`, its tar cached (what patching
/// needs), trusting the repository's first root.
struct Client {
    install: PathBuf,
    meta: PathBuf,
    cache: PathBuf,
}

impl Client {
    fn new(tmp: &Path, proj: &Path, name: &str, platform: &str, version: &str) -> Client {
        let base = tmp.join(name);
        let (install, meta, cache) = (base.join("install"), base.join("meta"), base.join("cache"));
        for d in [&install, &meta, &cache] {
            std::fs::create_dir_all(d).unwrap();
        }
        let repo = proj.join("repository");
        std::fs::copy(repo.join("metadata/1.root.json"), meta.join("root.json")).unwrap();
        let tar = unpack_release(
            &repo.join(format!("targets/demo-{platform}-{version}.tar.gz")),
            &install,
        );
        std::fs::write(cache.join(format!("demo-{version}.tar")), tar).unwrap();
        Client {
            install,
            meta,
            cache,
        }
    }

    fn update(&self, cwd: &Path, url: &str, version: &str, extra: &[&str]) -> Run {
        let at = Install {
            install: &self.install,
            meta: &self.meta,
            cache: &self.cache,
        };
        let mut args = vec!["--platform", LINUX];
        args.extend_from_slice(extra);
        update_app(cwd, &at, version, url, &args, &[])
    }

    /// `tufa update --check-only` with the clock shifted by `shift`
    /// (libfaketime, e.g. "+31d").
    fn check_at(&self, url: &str, version: &str, shift: &str) -> Run {
        let md = format!("{url}/metadata");
        let tg = format!("{url}/targets");
        let out = std::process::Command::new("faketime")
            .args(["-f", shift])
            .arg(tufa_bin())
            .args([
                "--json",
                "update",
                "--app",
                "demo",
                "--platform",
                LINUX,
                "--current-version",
                version,
                "--check-only",
            ])
            .arg("--install-dir")
            .arg(&self.install)
            .arg("--metadata-dir")
            .arg(&self.meta)
            .arg("--cache-dir")
            .arg(&self.cache)
            .args(["--metadata-url", &md, "--targets-url", &tg])
            .output()
            .expect("faketime is installed by scripts/setup.sh");
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

fn fetched(v: &Value) -> Vec<String> {
    v["fetched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect()
}

/// `platform`'s releases in `tufa --json status`: (version, rollout).
fn status_releases(proj: &Path, platform: &str) -> Vec<(String, Value)> {
    let status = tufa(proj, &["--json", "status"]).json();
    let Some(p) = status["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["platform"] == platform)
    else {
        return Vec::new();
    };
    p["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["version"].as_str().unwrap().to_string(),
                r.get("rollout").cloned().unwrap_or(Value::Null),
            )
        })
        .collect()
}

fn names_in(proj: &Path, file: &str) -> Vec<String> {
    md(proj, file)["signed"]["targets"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

/// Linux 1.0 and windows 1.0 published, then linux delegated (its 1.0
/// moves into the role).
fn two_platforms_one_delegated(tmp: &Path, init: &[&str]) -> PathBuf {
    let proj = init_project(tmp, init);
    add(&proj, tmp, LINUX, "1.0", 0, &[]);
    add(&proj, tmp, WINDOWS, "1.0", 0, &[]);
    let done = delegate(&proj, LINUX);
    assert_eq!(done["moved"], json!(["demo-linux-x86_64-1.0.tar.gz"]));
    proj
}

#[test]
fn status_rollout_and_pull_act_on_the_delegated_role_and_reach_its_clients() {
    let tmp = tempfile::tempdir().unwrap();
    let tmp = tmp.path();
    let proj = two_platforms_one_delegated(tmp, &[]);
    let _away = TargetsKeyAway::new(&proj, tmp);
    let top_version = version_of(&proj, "targets.json");
    add(&proj, tmp, LINUX, "1.1", 1, &["--rollout", "0"]);

    // Status lists the delegated platform's releases, from its role.
    assert_eq!(
        status_releases(&proj, LINUX),
        [
            ("1.0".to_string(), Value::Null),
            ("1.1".to_string(), json!({"percent": 0, "state": "rolling"})),
        ]
    );
    assert_eq!(status_releases(&proj, WINDOWS).len(), 1);
    let text = tufa(&proj, &["status"]).stdout;
    assert!(
        text.contains("Releases for linux-x86_64:") && text.contains("rolling out 0%"),
        "{text}"
    );

    let server = Server::start(proj.join("repository"));
    let url = &server.url;
    let a = Client::new(tmp, &proj, "a", LINUX, "1.0");
    let b = Client::new(tmp, &proj, "b", LINUX, "1.0");
    assert_eq!(a.update(tmp, url, "1.0", &[]).json()["update"], Value::Null);

    // Rollout to everyone: the role changes, signed by the platform's key
    // alone; top-level targets is left as it was.
    let role_version = version_of(&proj, "linux-x86_64.json");
    let set = tufa(
        &proj,
        &["--json", "rollout", "1.1", "100", "--platform", LINUX],
    )
    .json();
    assert_eq!(set["changed"][0]["archive"], "demo-linux-x86_64-1.1.tar.gz");
    assert_eq!(set["outcome"]["published"], true);
    assert_eq!(version_of(&proj, "linux-x86_64.json"), role_version + 1);
    assert_eq!(version_of(&proj, "targets.json"), top_version);
    let role = md(&proj, "linux-x86_64.json");
    assert!(
        role["signed"]["targets"]["demo-linux-x86_64-1.1.tar.gz"]["custom"]
            .get("tufa")
            .is_none(),
        "100% removes the rollout fields: {role}"
    );
    assert_eq!(status_releases(&proj, LINUX)[1].1, Value::Null);
    let v = a.update(tmp, url, "1.0", &[]).json();
    assert_eq!(v["update"]["method"], "patch", "{v}");
    assert_eq!(fetched(&v), ["demo-linux-x86_64-1.1.patch"]);
    assert_eq!(v["installed_version"], "1.1");
    assert_eq!(
        fingerprint(&a.install),
        fingerprint(&tmp.join("bundle-linux-x86_64-1.1"))
    );

    // The repository as it was with 1.1 out to everyone: what an attacker
    // replays to keep it going out.
    let old_copy = tmp.join("old-copy");
    copy_dir(&proj.join("repository"), &old_copy);

    // Pause: a client still on 1.0 stays there.
    tufa(
        &proj,
        &["--json", "rollout", "1.1", "pause", "--platform", LINUX],
    )
    .json();
    assert_eq!(
        status_releases(&proj, LINUX)[1].1,
        json!({"percent": 100, "state": "paused"})
    );
    assert_eq!(b.update(tmp, url, "1.0", &[]).json()["update"], Value::Null);

    // Pull, for every platform that has 1.1 (only linux): its clients go
    // back to 1.0 by the full archive, every byte checked; the client on
    // 1.0 stays.
    let pulled = tufa(&proj, &["--json", "pull", "1.1"]).json();
    assert_eq!(pulled["changed"].as_array().unwrap().len(), 1, "{pulled}");
    assert_eq!(pulled["changed"][0]["platform"], LINUX);
    assert_eq!(pulled["changed"][0]["rollback_to"], "1.0");
    assert_eq!(version_of(&proj, "targets.json"), top_version);
    let role = md(&proj, "linux-x86_64.json");
    assert_eq!(
        role["signed"]["targets"]["demo-linux-x86_64-1.1.tar.gz"]["custom"]["tufa"],
        json!({"rollout": {"percent": 100, "state": "pulled"}, "rollback_to": "1.0"})
    );
    let v = a.update(tmp, url, "1.1", &[]).json();
    assert_eq!(v["update"]["rollback"], true, "{v}");
    assert_eq!(v["update"]["method"], "full");
    assert_eq!(fetched(&v), ["demo-linux-x86_64-1.0.tar.gz"]);
    assert_eq!(v["installed_version"], "1.0");
    assert_eq!(
        fingerprint(&a.install),
        fingerprint(&tmp.join("bundle-linux-x86_64-1.0"))
    );
    assert_eq!(b.update(tmp, url, "1.0", &[]).json()["update"], Value::Null);

    // The old, unexpired repository replayed to a client that saw the
    // pull: refused as a rollback, nothing installed.
    let replay = Server::start(old_copy);
    let before = fingerprint(&b.install);
    let refused = b.update(tmp, &replay.url, "1.0", &[]);
    assert_eq!(refused.error_code(), "verification_failed", "{refused:#?}");
    assert!(refused.stdout.contains("(rollback)"), "{refused:#?}");
    assert_eq!(fingerprint(&b.install), before);
}

#[test]
fn remove_latest_and_prune_take_back_a_delegated_platforms_releases() {
    let tmp = tempfile::tempdir().unwrap();
    let tmp = tmp.path();
    let proj = two_platforms_one_delegated(tmp, &[]);
    let _away = TargetsKeyAway::new(&proj, tmp);
    add(&proj, tmp, LINUX, "1.1", 1, &[]);
    add(&proj, tmp, LINUX, "1.2", 2, &[]);
    let top_version = version_of(&proj, "targets.json");
    let targets_dir = proj.join("repository/targets");

    // Remove-latest of the delegated platform: from its role, files too,
    // without the targets key.
    let removed = tufa(&proj, &["--json", "remove-latest", "--platform", LINUX]).json();
    assert_eq!(removed["removed_version"], "1.2");
    assert_eq!(removed["outcome"]["published"], true);
    let mut gone: Vec<String> = removed["outcome"]["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    gone.sort();
    assert_eq!(
        gone,
        [
            "targets/demo-linux-x86_64-1.2.patch",
            "targets/demo-linux-x86_64-1.2.tar.gz"
        ]
    );
    assert!(!targets_dir.join("demo-linux-x86_64-1.2.tar.gz").exists());
    assert!(!targets_dir.join("demo-linux-x86_64-1.2.patch").exists());
    assert_eq!(version_of(&proj, "targets.json"), top_version);
    let versions: Vec<String> = status_releases(&proj, LINUX)
        .into_iter()
        .map(|(v, _)| v)
        .collect();
    assert_eq!(versions, ["1.0", "1.1"]);

    // Uploaded to a folder (what a web server or bucket serves): the
    // role and its files go up with the rest.
    let site = tmp.join("site");
    upload(&proj, &site);
    assert!(site.join("metadata/linux-x86_64.json").exists());
    assert!(site.join("targets/demo-linux-x86_64-1.1.patch").exists());

    // A client of the platform on 1.0 now updates to 1.1, by patch.
    let server = Server::start(site.clone());
    let url = &server.url;
    let a = Client::new(tmp, &proj, "a", LINUX, "1.0");
    let c = Client::new(tmp, &proj, "c", LINUX, "1.0");
    let v = a.update(tmp, url, "1.0", &["--check-only"]).json();
    assert_eq!(v["update"]["version"], "1.1", "{v}");
    assert_eq!(v["update"]["method"], "patch", "{v}");

    // Prune: windows has one release and keeps it (top-level targets is
    // not touched, so its key is not needed); linux keeps 1.1.
    let pruned = tufa(&proj, &["--json", "prune", "--keep", "1"]).json();
    assert_eq!(pruned["removed_versions"], json!(["1.0"]));
    // Only linux lost a release: its clients on 1.0 take 1.1's archive.
    assert_eq!(
        pruned["stranded"],
        json!([{ "version": "1.0", "to_version": "1.1", "bytes": pruned["stranded"][0]["bytes"], "share": 100, "rollback": false, "platform": LINUX }])
    );
    assert!(pruned["stranded"][0]["bytes"].as_u64().unwrap() > 0);
    assert_eq!(pruned["outcome"]["published"], true);
    assert!(!targets_dir.join("demo-linux-x86_64-1.0.tar.gz").exists());
    assert!(targets_dir.join("demo-windows-x86_64-1.0.tar.gz").exists());
    assert_eq!(version_of(&proj, "targets.json"), top_version);
    assert_eq!(
        names_in(&proj, "linux-x86_64.json"),
        [
            "demo-linux-x86_64-1.1.patch",
            "demo-linux-x86_64-1.1.tar.gz"
        ]
    );
    assert_eq!(
        names_in(&proj, "targets.json"),
        ["demo-windows-x86_64-1.0.tar.gz"]
    );
    let versions: Vec<String> = status_releases(&proj, LINUX)
        .into_iter()
        .map(|(v, _)| v)
        .collect();
    assert_eq!(versions, ["1.1"]);
    // Nothing more to prune anywhere.
    let again = tufa(&proj, &["--json", "prune", "--keep", "1"]);
    assert_eq!(again.error_code(), "nothing_to_remove", "{again:#?}");

    // The next upload removes the pruned files from the server too.
    upload(&proj, &site);
    assert!(!site.join("targets/demo-linux-x86_64-1.0.tar.gz").exists());
    assert!(site.join("targets/demo-linux-x86_64-1.1.tar.gz").exists());

    // A client on the removed 1.0 gets 1.1 by the full archive.
    let v = c.update(tmp, url, "1.0", &[]).json();
    assert_eq!(v["update"]["method"], "full", "{v}");
    assert_eq!(fetched(&v), ["demo-linux-x86_64-1.1.tar.gz"]);
    assert_eq!(v["installed_version"], "1.1");
    assert_eq!(
        fingerprint(&c.install),
        fingerprint(&tmp.join("bundle-linux-x86_64-1.1"))
    );
}

/// `tufa publish --to DIR`: nothing staged, so only the upload.
fn upload(proj: &Path, dir: &Path) {
    let run = tufa(proj, &["--json", "publish", "--to", dir.to_str().unwrap()]);
    assert_eq!(run.code, Some(0), "{run:#?}");
}

fn pin(bytes: &[u8], version: &Value) -> Value {
    json!({ "version": version, "length": bytes.len(), "hashes": { "sha256": hex::encode(Sha256::digest(bytes)) } })
}

#[test]
fn a_replayed_wider_rollout_of_a_delegated_role_is_refused_once_expired_or_superseded() {
    let tmp = tempfile::tempdir().unwrap();
    let tmp = tmp.path();
    // The platform's role expires after 10 days, top-level targets after
    // 90: the replay below is bounded by the role's own expiry.
    let proj = two_platforms_one_delegated(tmp, &["--expires", "targets=90"]);
    let mut project = Project::load(&proj).unwrap();
    project.delegations.get_mut(LINUX).unwrap().expires_days = 10;
    project.save(&proj).unwrap();
    add(&proj, tmp, LINUX, "1.1", 1, &[]);
    let md_dir = proj.join("repository/metadata");
    // Yesterday's role: 1.1 out to every install, validly signed by the
    // platform's key, expiring in 10 days.
    let yesterday = std::fs::read(md_dir.join("linux-x86_64.json")).unwrap();
    let yesterday_version = md(&proj, "linux-x86_64.json")["signed"]["version"].clone();
    tufa(
        &proj,
        &["--json", "rollout", "1.1", "pause", "--platform", LINUX],
    )
    .json();

    let server = Server::start(proj.join("repository"));
    // A client that saw the pause.
    let seen = Client::new(tmp, &proj, "seen", LINUX, "1.0");
    assert_eq!(
        seen.check_at(&server.url, "1.0", "+0d").json()["update"],
        Value::Null
    );

    // The attacker holds the online snapshot and timestamp keys (they live
    // on the server) but not the platform's key: it serves yesterday's
    // role, pinned by a fresh snapshot and timestamp that expire far later
    // than the role.
    let attack = tmp.join("attack");
    copy_dir(&proj.join("repository"), &attack);
    let amd = attack.join("metadata");
    std::fs::write(amd.join("linux-x86_64.json"), &yesterday).unwrap();
    let mut snapshot = read_json(&amd.join("snapshot.json"));
    snapshot["signed"]["meta"]["linux-x86_64.json"] = pin(&yesterday, &yesterday_version);
    let v = snapshot["signed"]["version"].as_u64().unwrap();
    snapshot["signed"]["version"] = json!(v + 1);
    snapshot["signed"]["expires"] = json!("2099-01-01T00:00:00Z");
    tufa_tests::resign::sign_with_role_key(&proj, "snapshot", &mut snapshot);
    let snapshot_bytes = serde_json::to_vec_pretty(&snapshot).unwrap();
    std::fs::write(amd.join("snapshot.json"), &snapshot_bytes).unwrap();
    let mut timestamp = read_json(&amd.join("timestamp.json"));
    timestamp["signed"]["meta"]["snapshot.json"] =
        pin(&snapshot_bytes, &snapshot["signed"]["version"]);
    let v = timestamp["signed"]["version"].as_u64().unwrap();
    timestamp["signed"]["version"] = json!(v + 1);
    timestamp["signed"]["expires"] = json!("2099-01-01T00:00:00Z");
    tufa_tests::resign::sign_with_role_key(&proj, "timestamp", &mut timestamp);
    std::fs::write(
        amd.join("timestamp.json"),
        serde_json::to_vec_pretty(&timestamp).unwrap(),
    )
    .unwrap();
    let attacker = Server::start(attack);

    // The client that saw the pause refuses it at once: the snapshot lists
    // an older version of the role than the one it trusts.
    let refused = seen.check_at(&attacker.url, "1.0", "+0d");
    assert_eq!(refused.error_code(), "verification_failed", "{refused:#?}");
    assert!(refused.stdout.contains("(rollback)"), "{refused:#?}");

    // A client that never saw the pause is fooled only while yesterday's
    // role is unexpired: 11 days on, it is refused (top-level targets,
    // snapshot and timestamp are all still valid then).
    let fresh = Client::new(tmp, &proj, "fresh", LINUX, "1.0");
    let within = fresh.check_at(&attacker.url, "1.0", "+1d").json();
    assert_eq!(within["update"]["version"], "1.1", "{within}");
    let later = Client::new(tmp, &proj, "later", LINUX, "1.0");
    let expired = later.check_at(&attacker.url, "1.0", "+11d");
    assert_eq!(expired.error_code(), "metadata_expired", "{expired:#?}");
    assert!(expired.stdout.contains("linux-x86_64"), "{expired:#?}");
}

#[test]
fn a_delegated_role_is_re_signed_before_it_expires_without_a_release() {
    let tmp = tempfile::tempdir().unwrap();
    let tmp = tmp.path();
    let proj = two_platforms_one_delegated(tmp, &[]);
    let _away = TargetsKeyAway::new(&proj, tmp);
    let text = tufa(&proj, &["status"]).stdout;
    assert!(text.contains("linux-x86_64 v1"), "{text}");
    assert!(!text.contains("WARNING"), "{text}");

    // Re-signed every 365 days from now on: its 30 days left are inside
    // the warning window.
    let mut project = Project::load(&proj).unwrap();
    project.delegations.get_mut(LINUX).unwrap().expires_days = 365;
    project.save(&proj).unwrap();
    let text = tufa(&proj, &["status"]).stdout;
    assert!(
        text.contains("WARNING: the role of linux-x86_64 expires soon"),
        "{text}"
    );

    // Refresh re-signs it with the platform's key (the targets key is
    // away), releases unchanged, a year ahead.
    let top_version = version_of(&proj, "targets.json");
    let before = md(&proj, "linux-x86_64.json");
    let run = tufa(&proj, &["--json", "refresh", "--no-upload"]).json();
    assert_eq!(run["refresh"]["skipped"], json!([]), "{run}");
    let after = md(&proj, "linux-x86_64.json");
    assert_eq!(after["signed"]["version"], 2);
    assert_eq!(after["signed"]["targets"], before["signed"]["targets"]);
    assert!(
        after["signed"]["expires"].as_str().unwrap()
            > before["signed"]["expires"].as_str().unwrap()
    );
    assert_eq!(version_of(&proj, "targets.json"), top_version);
    let snapshot = md(&proj, "snapshot.json");
    assert_eq!(
        snapshot["signed"]["meta"]["linux-x86_64.json"]["version"],
        2
    );
    let text = tufa(&proj, &["status"]).stdout;
    assert!(!text.contains("WARNING"), "{text}");

    // By hand too; a platform that is not delegated has no role to re-sign.
    let run = tufa(&proj, &["--json", "platform", "resign", LINUX]).json();
    assert_eq!(run["published"], true);
    assert_eq!(version_of(&proj, "linux-x86_64.json"), 3);
    let refused = tufa(&proj, &["--json", "platform", "resign", WINDOWS]);
    assert_eq!(refused.error_code(), "invalid_setting", "{refused:#?}");

    // Clients of the platform still update through the re-signed role.
    add(&proj, tmp, LINUX, "1.1", 1, &[]);
    let server = Server::start(proj.join("repository"));
    let a = Client::new(tmp, &proj, "a", LINUX, "1.0");
    let v = a.update(tmp, &server.url, "1.0", &[]).json();
    assert_eq!(v["installed_version"], "1.1", "{v}");
}
