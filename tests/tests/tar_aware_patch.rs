//! Publishing a second release diffs the tars member by member and copies
//! the gzip members of unchanged files: the patch is an ordinary BSDIFF40
//! stream that Python's `bsdiff4` (what tufup's client uses) applies to
//! the exact new tar, no larger than bsdiff over the whole tar, and the
//! quick estimate names the files that changed.

use std::path::Path;
use std::process::Command;
use tufa_tests::*;

/// Deterministic bytes that compress like machine code.
fn code(n: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let len = out.len();
        if len > 4096 && seed.is_multiple_of(5) {
            let start = (seed >> 8) as usize % (len - 300);
            let run = 16 + (seed >> 40) as usize % 200;
            out.extend_from_within(start..start + run);
        } else {
            out.push(((seed >> 16) % 64 * ((seed >> 24) % 4)) as u8);
        }
    }
    out.truncate(n);
    out
}

fn text(i: usize, extra: &str) -> Vec<u8> {
    format!(
        "# module {i}\n{}{extra}",
        "def handler(event):\n    return event\n".repeat(40 + i % 30)
    )
    .into_bytes()
}

fn bundles(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (v1, v2) = (dir.join("v1"), dir.join("v2"));
    let binary = code(6_000_000, 7);
    let mut rebuilt = binary.clone();
    rebuilt[1_000_000..1_004_096].copy_from_slice(&code(4096, 9));
    rebuilt.splice(3_000_000..3_000_000, code(10_000, 11));
    rebuilt.drain(5_000_000..5_008_000);
    let asset = code(2_000_000, 13)
        .iter()
        .map(|b| b.wrapping_mul(167))
        .collect::<Vec<u8>>();
    for (dir, bin) in [(&v1, &binary), (&v2, &rebuilt)] {
        write_bundle(dir, &[("app.bin", bin), ("assets/big.pak", &asset)]);
        for i in 0..200 {
            let name = format!("lib/m{}/file{i:03}.py", i % 7);
            let edited = dir == &v2 && (i == 17 || i == 123);
            let extra = if edited { "\n# fixed a bug\n" } else { "" };
            match i {
                50 if dir == &v2 => {} // removed in v2
                60 if dir == &v2 => {
                    write_bundle(dir, &[("lib/moved/file060.py", &text(i, ""))]);
                }
                _ => write_bundle(dir, &[(&name, &text(i, extra))]),
            }
        }
    }
    write_bundle(&v2, &[("lib/new_module.py", b"print('new in 2.0')\n")]);
    (v1, v2)
}

fn python(script: &str, args: &[&Path]) -> String {
    let out = Command::new(tufa_tests::python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("running python");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn second_release_is_diffed_per_member_and_bsdiff4_applies_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (v1, v2) = bundles(tmp.path());
    let proj = init_project(tmp.path(), &[]);
    let add = |dir: &Path, version: &str| add_release(&proj, dir.to_str().unwrap(), version);
    add(&v1, "1.0");

    // The estimate, before anything is built.
    let est = tufa(
        &proj,
        &[
            "--json",
            "add",
            v2.to_str().unwrap(),
            "--version",
            "2.0",
            "--estimate",
        ],
    )
    .json();
    let names = |key: &str| -> Vec<String> {
        let mut v: Vec<String> = est[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["path"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        names("changed"),
        ["./app.bin", "./lib/m3/file017.py", "./lib/m4/file123.py"]
    );
    assert_eq!(
        names("added"),
        ["./lib/moved/file060.py", "./lib/new_module.py"]
    );
    assert_eq!(
        names("removed"),
        ["./lib/m1/file050.py", "./lib/m4/file060.py"]
    );
    assert_eq!(est["unchanged_files"], 198 - 1);

    let plan = add(&v2, "2.0")["plan"].clone();
    let diff = &plan["diff"];
    assert_eq!(diff["whole_tar_fallback"], false);
    assert_eq!(diff["changed"], 3, "{diff}");
    // Two files and the directory lib/moved/.
    assert_eq!(diff["added"], 3, "{diff}");
    assert!(diff["unchanged"].as_u64().unwrap() > 200, "{diff}");
    assert!(
        diff["bsdiff_bytes"].as_u64().unwrap() < 1_000_000,
        "bsdiff ran only on windows around the changes: {diff}"
    );
    let stats = &plan["archive_stats"];
    assert!(
        stats["reused_tar_bytes"].as_u64().unwrap() > 2_000_000,
        "the asset's members are copied from 1.0's archive: {stats}"
    );
    let patch_size = plan["patch"]["size"].as_u64().unwrap();
    assert!(
        est["patch_high"].as_u64().unwrap() >= patch_size,
        "estimate's upper bound {} holds for {patch_size}",
        est["patch_high"]
    );
    assert!(
        est["patch_low"].as_u64().unwrap() <= patch_size,
        "estimate's lower bound {} holds for {patch_size}",
        est["patch_low"]
    );

    // Python's bsdiff4 (tufup's patcher) turns 1.0's tar into 2.0's.
    let targets = proj.join("repository/targets");
    let old_tar = tmp.path().join("1.0.tar");
    std::fs::write(
        &old_tar,
        unpack_release(&targets.join("demo-1.0.tar.gz"), &tmp.path().join("i1")),
    )
    .unwrap();
    let new_tar = unpack_release(&targets.join("demo-2.0.tar.gz"), &tmp.path().join("i2"));
    let patched = tmp.path().join("patched.tar");
    python(
        "import bsdiff4, sys; bsdiff4.file_patch(sys.argv[1], sys.argv[2], sys.argv[3])",
        &[&old_tar, &patched, &targets.join("demo-2.0.patch")],
    );
    assert!(
        std::fs::read(&patched).unwrap() == new_tar,
        "bsdiff4 output differs"
    );
    assert_eq!(
        tufa::patch::sha256_hex(&new_tar),
        plan["tar_hash"].as_str().unwrap()
    );
    // Python's tarfile reads the multi-member archive.
    let listed = python(
        "import tarfile, sys; print(len(tarfile.open(sys.argv[1], 'r:gz').getnames()))",
        &[&targets.join("demo-2.0.tar.gz")],
    );
    let members = tar::Archive::new(new_tar.as_slice())
        .entries()
        .unwrap()
        .count();
    assert_eq!(listed.trim().parse::<usize>().unwrap(), members);

    // No larger than bsdiff over the whole tar.
    let whole = tufa::patch::create(&std::fs::read(&old_tar).unwrap(), &new_tar).unwrap();
    assert!(
        patch_size as f64 <= whole.len() as f64 * 1.02,
        "tar-aware {patch_size} vs whole-tar {}",
        whole.len()
    );
}

/// A first-time user's case: a small change to a binary and a new VERSION.
/// The patch is a couple of hundred bytes; the estimate's lower bound
/// must not promise more (it said 400 B for a 194 B patch).
#[test]
fn the_estimates_bounds_hold_for_a_tiny_change() {
    let tmp = tempfile::tempdir().unwrap();
    let proj = init_project(tmp.path(), &[]);
    let mut x = 7u32;
    let mut bin: Vec<u8> = (0..200_000)
        .map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 24) as u8
        })
        .collect();
    let b1 = tmp.path().join("b1");
    write_bundle(&b1, &[("hello.bin", &bin), ("VERSION", b"1.0")]);
    add_release(&proj, b1.to_str().unwrap(), "1.0");
    bin[1000..1010].fill(0);
    let b2 = tmp.path().join("b2");
    write_bundle(&b2, &[("hello.bin", &bin), ("VERSION", b"1.1")]);
    let b2 = b2.to_str().unwrap();
    let est = tufa(
        &proj,
        &["--json", "add", b2, "--version", "1.1", "--estimate"],
    )
    .json();
    let plan = add_release(&proj, b2, "1.1")["plan"].clone();
    let patch = plan["patch"]["size"].as_u64().unwrap();
    let (low, high) = (
        est["patch_low"].as_u64().unwrap(),
        est["patch_high"].as_u64().unwrap(),
    );
    assert!(low <= patch && patch <= high, "{low} <= {patch} <= {high}");
}
