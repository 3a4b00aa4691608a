//! Helpers for Tufa's end-to-end tests: run the real `tufa` binary on real
//! directories, make bundles, fingerprint repositories.

pub mod moto;
pub mod resign;
pub mod server;

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Path of the `tufa` binary built for these tests: `TUFA_BIN`, or the
/// one beside the test executable (`cargo build --workspace --bins` puts
/// it there).
pub fn tufa_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("TUFA_BIN") {
        return p.into();
    }
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let bin = dir.join("tufa");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --workspace --bins --examples` before the tests (scripts/test.sh does)",
        bin.display()
    );
    bin
}

/// A script of `tests/tufup/`: the tufup fixture generator and the Python
/// tufup client checker.
pub fn tufup_script(name: &str) -> PathBuf {
    workspace().join("tests/tufup").join(name)
}

/// A repository written by Python tufup 0.10.0 itself (keys, three
/// releases with patches, a root rotation, the `keyid_hash_algorithms`
/// variant of its root files, `expected_state.json`): `TUFA_FIXTURE`, or
/// the one `tests/tufup/make_tufup_fixture.py` generates with the venv's
/// tufup into `target/debug/tufup-fixture-HASH/`, once per version of the
/// generator (HASH is of its text), shared by every test process.
/// Bundle contents and tar members are the same on every run; keys and
/// signatures are new each time, so tests read key ids from the fixture.
/// Treat it as read-only: copy it before running tufup or tufa on it.
pub fn fixture() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let p = match std::env::var_os("TUFA_FIXTURE") {
        Some(p) => PathBuf::from(p),
        None => DIR.get_or_init(generate_fixture).clone(),
    };
    assert!(
        p.join("expected_state.json").exists(),
        "fixture not found at {}",
        p.display()
    );
    p
}

/// Runs the generator into a private folder and renames it into place, so
/// that test processes starting together never see half a fixture (the
/// loser of a race throws its copy away).
fn generate_fixture() -> PathBuf {
    let script = tufup_script("make_tufup_fixture.py");
    let text = std::fs::read(&script).unwrap_or_else(|e| panic!("{}: {e}", script.display()));
    let hash = hex::encode(&Sha256::digest(&text)[..6]);
    let exe = std::env::current_exe().expect("test executable path");
    // target/debug/deps/TEST → target/debug
    let target = exe.parent().and_then(Path::parent).expect("target dir");
    let dir = target.join(format!("tufup-fixture-{hash}"));
    if dir.join("expected_state.json").exists() {
        return dir;
    }
    let tmp = target.join(format!("tufup-fixture-{hash}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let out = Command::new(python())
        .arg(&script)
        .arg(&tmp)
        .output()
        .expect("running make_tufup_fixture.py");
    assert!(
        out.status.success(),
        "tufup fixture generator failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    if std::fs::rename(&tmp, &dir).is_err() {
        // Another process was faster: its fixture is as good as ours.
        let _ = std::fs::remove_dir_all(&tmp);
    }
    assert!(
        dir.join("expected_state.json").exists(),
        "fixture missing at {} after generating it",
        dir.display()
    );
    dir
}

/// Python of the venv with tufup 0.10.0 (`TUFA_PYTHON`, or `.venv/bin/python`).
pub fn python() -> PathBuf {
    let p = std::env::var_os("TUFA_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join(".venv/bin/python"));
    assert!(
        p.exists(),
        "{} is missing: run scripts/setup.sh (creates the venv with tufup==0.10.0)",
        p.display()
    );
    p
}

/// A finished `tufa` run.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Self {
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Asserts success and returns stdout parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        assert_eq!(self.code, Some(0), "tufa failed: {self:#?}");
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("bad JSON ({e}): {}", self.stdout))
    }

    /// Asserts failure with exit status 1 and returns the stable error
    /// code of `--json` output (`{"error": {"code": …}}`).
    pub fn error_code(&self) -> String {
        assert_eq!(self.code, Some(1), "expected failure: {self:#?}");
        let v: serde_json::Value = serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("no JSON error ({e}): {self:#?}"));
        v["error"]["code"].as_str().unwrap_or_default().to_string()
    }

    /// Asserts failure with exit status 1 and returns the error message.
    pub fn error(&self) -> String {
        assert_eq!(self.code, Some(1), "expected failure: {self:#?}");
        self.stderr.clone()
    }
}

/// Runs `tufa --project DIR ARGS…`.
pub fn tufa(project: &Path, args: &[&str]) -> Run {
    tufa_env(project, args, &[])
}

/// Runs `tufa` with extra environment variables.
pub fn tufa_env(project: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(tufa_bin());
    cmd.arg("--project").arg(project).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    Run::from(cmd.output().expect("running tufa"))
}

/// Creates the fixture's bundles 1.0, 1.1 and 2.0 under `dir` with the
/// fixture generator (deterministic content).
pub fn fixture_bundles(dir: &Path) -> PathBuf {
    let out = Command::new(python())
        .arg(tufup_script("make_tufup_fixture.py"))
        .arg("--bundles-only")
        .arg(dir)
        .output()
        .expect("running make_tufup_fixture.py");
    assert!(
        out.status.success(),
        "bundle generator failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir.to_path_buf()
}

/// A bundle of `platform` at release number `index` in
/// `root/bundle-PLATFORM-VERSION`: `app.bin` of `len` incompressible bytes
/// (xorshift from `seed`) with one byte flipped per release, so patches
/// beat archives, plus `VERSION` and `PLATFORM`.
pub fn platform_bundle(
    root: &Path,
    platform: &str,
    version: &str,
    index: usize,
    seed: u64,
    len: usize,
) -> PathBuf {
    let dir = root.join(format!("bundle-{platform}-{version}"));
    let mut x = seed;
    let mut bin: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    for i in 0..index {
        bin[10_000 * (i + 1)] ^= 0xff;
    }
    write_bundle(
        &dir,
        &[
            ("app.bin", &bin),
            ("VERSION", version.as_bytes()),
            ("PLATFORM", platform.as_bytes()),
        ],
    );
    dir
}

/// Writes a small bundle with the given files.
pub fn write_bundle(dir: &Path, files: &[(&str, &[u8])]) {
    for (rel, content) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, content).expect("write");
    }
}

/// sha256 of every file below `dir` (relative paths), to prove a
/// directory did or did not change.
pub fn fingerprint(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let ft = e.file_type().expect("file type");
            if ft.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .expect("prefix")
                    .to_string_lossy()
                    .into_owned();
                let bytes = std::fs::read(&p).unwrap_or_default();
                out.insert(rel, hex::encode(Sha256::digest(&bytes)));
            }
        }
    }
    out
}

/// Adds and publishes `bundle` as release `version` of the project,
/// expecting success; returns the JSON report.
pub fn add_release(project: &Path, bundle: &str, version: &str) -> serde_json::Value {
    tufa(project, &["--json", "add", bundle, "--version", version]).json()
}

/// Initialises a project `demo` in `dir/proj` and returns its path.
pub fn init_project(dir: &Path, extra: &[&str]) -> PathBuf {
    let proj = dir.join("proj");
    let mut args = vec!["init", "--app", "demo", "--key-store", "file"];
    args.extend_from_slice(extra);
    let run = tufa(&proj, &args);
    assert_eq!(run.code, Some(0), "init failed: {run:#?}");
    proj
}

/// Reads a JSON file.
pub fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Installs a release the way a user's first install does: unpacks
/// `archive` (.tar.gz) into `dest`; returns the uncompressed tar (what a
/// client caches to patch from).
pub fn unpack_release(archive: &Path, dest: &Path) -> Vec<u8> {
    let mut tar = Vec::new();
    let gz = std::fs::File::open(archive).unwrap_or_else(|e| panic!("{}: {e}", archive.display()));
    std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(gz), &mut tar)
        .expect("gunzip");
    std::fs::create_dir_all(dest).expect("mkdir");
    tar::Archive::new(tar.as_slice())
        .unpack(dest)
        .expect("unpack");
    tar
}

/// An installed app as a client sees it: install dir, trusted metadata
/// dir, cache dir.
pub struct Install<'a> {
    pub install: &'a Path,
    pub meta: &'a Path,
    pub cache: &'a Path,
}

/// Runs `tufa --json update` for app `demo` at `version` against the
/// repository served at `base_url`, purging old files, with `extra` flags.
pub fn update_app(
    cwd: &Path,
    at: &Install,
    version: &str,
    base_url: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> Run {
    let md = format!("{base_url}/metadata");
    let tg = format!("{base_url}/targets");
    let mut args = vec![
        "--json",
        "update",
        "--app",
        "demo",
        "--current-version",
        version,
        "--install-dir",
        at.install.to_str().expect("utf-8 path"),
        "--metadata-dir",
        at.meta.to_str().expect("utf-8 path"),
        "--cache-dir",
        at.cache.to_str().expect("utf-8 path"),
        "--metadata-url",
        &md,
        "--targets-url",
        &tg,
        "--purge",
    ];
    args.extend_from_slice(extra);
    tufa_env(cwd, &args, env)
}

/// Copies a directory tree, making the copies writable (a fixture may be
/// read-only).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        let dest = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).expect("copy");
            let mut perm = std::fs::metadata(&dest).expect("stat").permissions();
            std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o644);
            std::fs::set_permissions(&dest, perm).expect("chmod");
        }
    }
}

/// A client's directories, set up as an installed app: release `version`
/// of the project unpacked (when given), the project's 1.root.json
/// trusted, and the current tar cached when asked (what patching needs).
pub struct ClientDirs {
    pub install: PathBuf,
    pub meta: PathBuf,
    pub cache: PathBuf,
}

impl ClientDirs {
    pub fn install(base: &Path, proj: &Path, version: Option<&str>, cache_tar: bool) -> ClientDirs {
        let dirs = ClientDirs {
            install: base.join("install"),
            meta: base.join("meta"),
            cache: base.join("cache"),
        };
        for d in [&dirs.install, &dirs.meta, &dirs.cache] {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        std::fs::copy(
            proj.join("repository/metadata/1.root.json"),
            dirs.meta.join("root.json"),
        )
        .expect("trusted root");
        if let Some(v) = version {
            let tar = unpack_release(
                &proj.join(format!("repository/targets/demo-{v}.tar.gz")),
                &dirs.install,
            );
            if cache_tar {
                std::fs::write(dirs.cache.join(format!("demo-{v}.tar")), tar).expect("cache tar");
            }
        }
        dirs
    }

    /// `tufa update` of this install from `base_url`.
    pub fn update(&self, cwd: &Path, version: &str, base_url: &str, extra: &[&str]) -> Run {
        let at = Install {
            install: &self.install,
            meta: &self.meta,
            cache: &self.cache,
        };
        update_app(cwd, &at, version, base_url, extra, &[])
    }
}
