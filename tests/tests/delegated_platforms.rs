//! Delegated signing per platform: `tufa platform delegate linux-x86_64`
//! gives that platform a targets role of its own (a CI runner's key).
//! Its releases are then signed with that key alone (the targets key may
//! be absent), listed in snapshot.json, and found by `tufa update
//! --platform` through the delegation walk; the other platform stays in
//! top-level targets. A delegated role signed by another key is refused.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tufa::publisher::project::{KeyLocation, Project};
use tufa_tests::server::Server;
use tufa_tests::*;

const LINUX: &str = "linux-x86_64";
const WINDOWS: &str = "windows-x86_64";

/// A bundle of `platform` at release number `index`: large, mostly shared
/// between releases, so patches beat archives.
fn bundle(root: &Path, platform: &str, version: &str, index: usize) -> PathBuf {
    let seed = if platform == LINUX { 3 } else { 5 };
    platform_bundle(root, platform, version, index, seed, 120_000)
}

fn add(proj: &Path, tmp: &Path, platform: &str, version: &str, index: usize) -> Run {
    let b = bundle(tmp, platform, version, index);
    tufa(
        proj,
        &[
            "--json",
            "add",
            b.to_str().unwrap(),
            "--version",
            version,
            "--platform",
            platform,
        ],
    )
}

fn md(proj: &Path, file: &str) -> Value {
    read_json(&proj.join("repository/metadata").join(file))
}

/// The file of the project's key for top-level `targets`.
fn targets_key_file(proj: &Path) -> PathBuf {
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
    proj.join(rel)
}

/// A client of `platform` with its release `version` installed and cached.
fn client(tmp: &Path, proj: &Path, platform: &str, version: &str) -> (PathBuf, PathBuf, PathBuf) {
    let base = tmp.join(format!("client-{platform}"));
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
    std::fs::write(cache.join(format!("demo-{version}.tar")), &tar).unwrap();
    (install, meta, cache)
}

fn fetched(v: &Value) -> Vec<String> {
    v["fetched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_delegated_platform_is_signed_by_its_own_key_and_updated_through_the_walk() {
    let tmp = tempfile::tempdir().unwrap();
    let tmp = tmp.path();
    let proj = init_project(tmp, &[]);
    for p in [LINUX, WINDOWS] {
        let run = add(&proj, tmp, p, "1.0", 0);
        assert_eq!(run.code, Some(0), "{run:#?}");
    }

    // Delegate linux: its 1.0 moves into the new role.
    let run = tufa(
        &proj,
        &[
            "--json",
            "platform",
            "delegate",
            LINUX,
            "--key-store",
            "file",
        ],
    );
    assert_eq!(run.code, Some(0), "{run:#?}");
    let done = run.json();
    assert_eq!(done["role"], LINUX);
    assert_eq!(done["paths"], json!(["demo-linux-x86_64-*"]));
    assert_eq!(done["moved"], json!(["demo-linux-x86_64-1.0.tar.gz"]));
    assert_eq!(done["outcome"]["published"], true);
    let top = md(&proj, "targets.json");
    let roles = &top["signed"]["delegations"]["roles"];
    assert_eq!(roles[0]["name"], LINUX);
    assert_eq!(roles[0]["paths"], json!(["demo-linux-x86_64-*"]));
    assert_eq!(roles[0]["keyids"], json!([done["keyid"]]));
    let top_names: Vec<&String> = top["signed"]["targets"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(top_names, ["demo-windows-x86_64-1.0.tar.gz"]);
    let project = Project::load(&proj).unwrap();
    assert_eq!(
        project.delegations[LINUX].keys,
        [done["key_name"].as_str().unwrap()]
    );
    // The release file moved in metadata only: it is still served.
    assert!(proj
        .join("repository/targets/demo-linux-x86_64-1.0.tar.gz")
        .exists());

    // A CI run with only the delegated key (the targets key is away):
    // linux releases publish; top-level targets is not re-signed.
    let key = targets_key_file(&proj);
    let away = tmp.join("targets-key-away.pem");
    std::fs::rename(&key, &away).unwrap();
    let targets_version = top["signed"]["version"].clone();
    let run = add(&proj, tmp, LINUX, "1.1", 1);
    assert_eq!(run.code, Some(0), "{run:#?}");
    let added = run.json();
    assert_eq!(added["plan"]["previous"], "1.0");
    assert_eq!(
        added["plan"]["patch"]["name"],
        "demo-linux-x86_64-1.1.patch"
    );
    assert_eq!(
        md(&proj, "targets.json")["signed"]["version"],
        targets_version
    );
    let role = md(&proj, "linux-x86_64.json");
    assert_eq!(role["signed"]["version"], 2);
    assert_eq!(role["signatures"].as_array().unwrap().len(), 1);
    assert_eq!(role["signatures"][0]["keyid"], done["keyid"]);
    assert_eq!(
        md(&proj, "targets.json")["signed"]["expires"],
        top["signed"]["expires"]
    );
    // The non-delegated platform needs the targets key.
    let refused = add(&proj, tmp, WINDOWS, "1.1", 1);
    assert_eq!(refused.error_code(), "missing_key", "{refused:#?}");
    std::fs::rename(&away, &key).unwrap();
    let run = add(&proj, tmp, WINDOWS, "1.1", 1);
    assert_eq!(run.code, Some(0), "{run:#?}");
    // Top-level targets changed: the delegated role stays listed.
    // The delegated role's period is the targets period, unless set.
    let days = Project::load(&proj)
        .unwrap()
        .role(tufa::metadata::TopRole::Targets)
        .unwrap()
        .expires_days;
    let earliest = tufa::metadata::expiry_after_days(days).to_string();
    let run = add(&proj, tmp, LINUX, "1.2", 2);
    assert_eq!(run.code, Some(0), "{run:#?}");
    let latest = tufa::metadata::expiry_after_days(days).to_string();

    let role_bytes = std::fs::read(proj.join("repository/metadata/linux-x86_64.json")).unwrap();
    let snapshot = md(&proj, "snapshot.json");
    let pin = &snapshot["signed"]["meta"]["linux-x86_64.json"];
    assert_eq!(pin["version"], 3);
    assert_eq!(pin["length"], role_bytes.len());
    assert_eq!(
        pin["hashes"]["sha256"],
        hex::encode(Sha256::digest(&role_bytes))
    );
    let role = md(&proj, "linux-x86_64.json");
    let names: Vec<&String> = role["signed"]["targets"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(names.len(), 5, "{names:?}");
    assert!(names.iter().all(|n| n.starts_with("demo-linux-x86_64-")));
    // Delegated metadata expires like targets: the same period from the
    // moment it was signed (RFC 3339 in UTC compares as text).
    let expires = role["signed"]["expires"].as_str().unwrap();
    assert!(
        earliest.as_str() <= expires && expires <= latest.as_str(),
        "{earliest} <= {expires} <= {latest}"
    );

    // Clients: linux through the delegation walk, by patch; windows from
    // top-level targets.
    let server = Server::start(proj.join("repository"));
    for (platform, chain, latest) in [
        (
            LINUX,
            vec!["demo-linux-x86_64-1.1.patch", "demo-linux-x86_64-1.2.patch"],
            "1.2",
        ),
        (WINDOWS, vec!["demo-windows-x86_64-1.1.patch"], "1.1"),
    ] {
        let (install, meta, cache) = client(tmp, &proj, platform, "1.0");
        let at = Install {
            install: &install,
            meta: &meta,
            cache: &cache,
        };
        let v = update_app(tmp, &at, "1.0", &server.url, &["--platform", platform], &[]).json();
        assert_eq!(v["update"]["method"], "patch", "{platform}: {v}");
        assert_eq!(fetched(&v), chain, "{platform}");
        assert_eq!(v["installed_version"], latest);
        assert_eq!(
            fingerprint(&install),
            fingerprint(&tmp.join(format!("bundle-{platform}-{latest}"))),
            "{platform}"
        );
    }
    assert!(
        server
            .log()
            .contains(&"GET /metadata/linux-x86_64.json".to_string()),
        "{:?}",
        server.log()
    );
}

#[test]
fn a_delegated_release_signed_with_another_key_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let tmp = tmp.path();
    let proj = init_project(tmp, &[]);
    assert_eq!(add(&proj, tmp, LINUX, "1.0", 0).code, Some(0));
    let done = tufa(
        &proj,
        &[
            "--json",
            "platform",
            "delegate",
            LINUX,
            "--key-store",
            "file",
        ],
    )
    .json();
    assert_eq!(done["outcome"]["published"], true, "{done}");
    assert_eq!(add(&proj, tmp, LINUX, "1.1", 1).code, Some(0));

    // An attacker (or a misconfigured runner) re-signs the role with a key
    // the delegation does not name, and pins it in a validly signed
    // snapshot.
    let md_dir = proj.join("repository/metadata");
    let mut role = md(&proj, "linux-x86_64.json");
    role["signed"]["version"] = json!(3);
    let stranger = tufa::publisher::keys::generate_ed25519_pem().unwrap();
    tufa_tests::resign::sign_with_pem(&stranger, done["keyid"].as_str().unwrap(), &mut role);
    let bytes = serde_json::to_vec_pretty(&role).unwrap();
    std::fs::write(md_dir.join("linux-x86_64.json"), &bytes).unwrap();
    let mut snapshot = md(&proj, "snapshot.json");
    snapshot["signed"]["meta"]["linux-x86_64.json"] = json!({
        "version": 3,
        "length": bytes.len(),
        "hashes": { "sha256": hex::encode(Sha256::digest(&bytes)) },
    });
    std::fs::write(
        md_dir.join("snapshot.json"),
        serde_json::to_vec_pretty(&snapshot).unwrap(),
    )
    .unwrap();
    tufa_tests::resign::edit_targets(&proj, |_| {});

    let server = Server::start(proj.join("repository"));
    let (install, meta, cache) = client(tmp, &proj, LINUX, "1.0");
    let before = fingerprint(&install);
    let at = Install {
        install: &install,
        meta: &meta,
        cache: &cache,
    };
    let run = update_app(tmp, &at, "1.0", &server.url, &["--platform", LINUX], &[]);
    assert_eq!(run.code, Some(1), "{run:#?}");
    let v: Value = serde_json::from_str(&run.stdout).expect("json error");
    assert_eq!(v["error"]["code"], "verification_failed", "{v}");
    assert_eq!(fingerprint(&install), before, "nothing installed");

    // The publisher refuses to build on it too.
    let run = add(&proj, tmp, LINUX, "1.2", 2);
    assert_eq!(run.error_code(), "verification_failed", "{run:#?}");
}
