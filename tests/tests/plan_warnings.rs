//! The add plan's warnings, from the real `tufa` binary: a bundle
//! identical to the previous release of its platform, and a patch no
//! client would use (larger than the patch limit of the archive). Both
//! appear in `tufa add --plan` (text and JSON) and never stop a release.

use serde_json::Value;
use std::path::{Path, PathBuf};
use tufa_tests::*;

/// Incompressible pseudo-random bytes: a new seed gives a patch as large
/// as the archive.
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

/// A bundle named `name` with a 200 KB binary from `seed`; `edit` changes
/// 500 bytes of it.
fn bundle(root: &Path, name: &str, seed: u64, edit: bool) -> PathBuf {
    let dir = root.join(name);
    let mut bin = noise(seed, 200_000);
    if edit {
        bin[10_000..10_500].copy_from_slice(&noise(99, 500));
    }
    write_bundle(&dir, &[("app.bin", &bin)]);
    dir
}

fn kinds(plan: &Value) -> Vec<String> {
    plan["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w["kind"].as_str().expect("kind").to_string())
        .collect()
}

fn plan(proj: &Path, bundle: &Path, version: &str, extra: &[&str]) -> Value {
    let b = bundle.to_str().expect("utf-8 path");
    let mut args = vec!["--json", "add", b, "--version", version, "--plan"];
    args.extend_from_slice(extra);
    tufa(proj, &args).json()
}

#[test]
fn plan_warns_about_an_identical_bundle_and_a_useless_patch() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let proj = init_project(tmp.path(), &[]);
    let first = bundle(tmp.path(), "b1", 1, false);
    let same = bundle(tmp.path(), "b1-again", 1, false);
    let edited = bundle(tmp.path(), "b1-edited", 1, true);
    let other = bundle(tmp.path(), "b2", 2, false);

    // A first release has nothing to compare with.
    assert_eq!(
        kinds(&plan(&proj, &first, "1.0", &[])),
        Vec::<String>::new()
    );
    add_release(&proj, first.to_str().expect("utf-8"), "1.0");

    // The same files in another directory: the same tar.
    let p = plan(&proj, &same, "1.1", &[]);
    assert_eq!(kinds(&p), ["identical_to_previous"]);
    assert!(
        p["warnings"][0]["text"]
            .as_str()
            .expect("text")
            .contains("identical to release 1.0"),
        "{p}"
    );
    // The text plan shows it too.
    let text = tufa(
        &proj,
        &[
            "add",
            same.to_str().expect("utf-8"),
            "--version",
            "1.1",
            "--plan",
        ],
    );
    assert_eq!(text.code, Some(0), "{text:#?}");
    assert!(
        text.stdout
            .contains("warning: the bundle is identical to release 1.0"),
        "{}",
        text.stdout
    );

    // A small edit: a small patch, nothing to say.
    assert_eq!(
        kinds(&plan(&proj, &edited, "1.1", &[])),
        Vec::<String>::new()
    );

    // A whole new binary: the patch is as large as the archive.
    let p = plan(&proj, &other, "1.1", &[]);
    assert_eq!(kinds(&p), ["patch_not_smaller"], "{p}");
    let text = p["warnings"][0]["text"].as_str().expect("text");
    assert!(text.contains("no client will use it"), "{text}");
    // Without a patch there is nothing to warn about.
    assert_eq!(
        kinds(&plan(&proj, &other, "1.1", &["--skip-patch"])),
        Vec::<String>::new()
    );

    // A warning does not stop the release: the identical bundle can
    // still be added, and the added plan carries the warning.
    let added = add_release(&proj, same.to_str().expect("utf-8"), "1.1");
    assert_eq!(kinds(&added["plan"]), ["identical_to_previous"], "{added}");

    // Platforms are streams: the previous release is that of the platform.
    let p = plan(&proj, &first, "1.2", &["--platform", "linux-x86_64"]);
    assert_eq!(kinds(&p), Vec::<String>::new(), "{p}");
    tufa(
        &proj,
        &[
            "--json",
            "add",
            first.to_str().expect("utf-8"),
            "--version",
            "1.2",
            "--platform",
            "linux-x86_64",
        ],
    )
    .json();
    let p = plan(&proj, &same, "1.3", &["--platform", "linux-x86_64"]);
    assert_eq!(kinds(&p), ["identical_to_previous"], "{p}");
    assert_eq!(p["platform"], "linux-x86_64");
}
