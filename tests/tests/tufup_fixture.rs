//! Tufa's client updates from a repository written by Python tufup 0.10
//! itself (the generated fixture with the root files of its
//! `root-with-keyid_hash_algorithms` variant, which tough accepts),
//! applying tufup's own bsdiff4 patches.

use tufa_tests::server::Server;
use tufa_tests::*;

#[test]
fn tufa_client_applies_tufups_patches_from_1_0_to_2_0() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    copy_dir(&fixture().join("repository"), &repo);
    // The fixture's variant whose root files tough accepts (the same keys,
    // re-signed with keyid_hash_algorithms so tufup's legacy ids verify).
    let variant = fixture().join("variants/root-with-keyid_hash_algorithms/metadata");
    for f in ["1.root.json", "2.root.json", "root.json"] {
        std::fs::copy(variant.join(f), repo.join("metadata").join(f)).unwrap();
    }
    let server = Server::start(repo.clone());
    let (install, meta, cache) = (
        tmp.path().join("install"),
        tmp.path().join("meta"),
        tmp.path().join("cache"),
    );
    for d in [&install, &meta, &cache] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::copy(repo.join("metadata/1.root.json"), meta.join("root.json")).unwrap();
    let tar = unpack_release(&repo.join("targets/demo-1.0.tar.gz"), &install);
    std::fs::write(cache.join("demo-1.0.tar"), &tar).unwrap();

    let at = Install {
        install: &install,
        meta: &meta,
        cache: &cache,
    };
    let v = update_app(tmp.path(), &at, "1.0", &server.url, &[], &[]).json();
    let fetched: Vec<&str> = v["fetched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(fetched, ["demo-1.1.patch", "demo-2.0.patch"]);
    assert_eq!(v["update"]["user"]["changes"][0], "new feature x");
    let expected = read_json(&fixture().join("expected_state.json"));
    let manifest: serde_json::Map<String, serde_json::Value> = fingerprint(&install)
        .into_iter()
        .map(|(path, sha)| {
            let size = std::fs::metadata(install.join(&path)).unwrap().len();
            (path, serde_json::json!({ "sha256": sha, "size": size }))
        })
        .collect();
    assert_eq!(
        serde_json::Value::Object(manifest),
        expected["bundles"]["2.0"]
    );
    let root = read_json(&meta.join("root.json"));
    assert_eq!(
        root["signed"]["version"], 2,
        "tufup's root rotation was followed"
    );
}
