//! Publishing benchmark: Tufa versus Python tufup 0.10 on the same
//! generated bundles. Prints a Markdown table (docs/benchmarks.md).
//!
//! ```text
//! cargo run --release -p tufa-tests --bin tufa-bench -- [--size-mb 100] [--shape mixed|single-binary|few-files] [--skip-tufup] [--skip-client] [--skip-whole-tar] [--work DIR]
//! cargo run --release -p tufa-tests --bin tufa-bench -- --scale 1000
//! ```
//!
//! Each measured step runs as its own process so that its peak RSS
//! (`wait4`'s `ru_maxrss`) is its own.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Deterministic pseudo-random bytes (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = Vec::with_capacity(n + 8);
        while v.len() < n {
            v.extend_from_slice(&self.next().to_le_bytes());
        }
        v.truncate(n);
        v
    }
    /// Machine-code-like bytes: short runs from a skewed alphabet, with
    /// repeats of earlier stretches (compresses about 2-3x, like binaries).
    fn code(&mut self, n: usize) -> Vec<u8> {
        let mut v: Vec<u8> = Vec::with_capacity(n);
        while v.len() < n {
            if v.len() > 4096 && self.below(4) == 0 {
                let len = 16 + self.below(200) as usize;
                let start = self.below((v.len() - len) as u64) as usize;
                let copy: Vec<u8> = v[start..start + len].to_vec();
                v.extend_from_slice(&copy);
            } else {
                let b = (self.below(64) * self.below(4)) as u8;
                v.push(b);
                if self.below(3) == 0 {
                    v.extend_from_slice(&self.next().to_le_bytes()[..3]);
                }
            }
        }
        v.truncate(n);
        v
    }
    /// `binary` rebuilt with small changes: `rewrites` 4 KiB regions
    /// rewritten, then `shifts` times `insert` new bytes inserted and
    /// `delete` bytes removed (shifting everything after them), each at
    /// least `margin` bytes before the end.
    fn rebuilt(
        &mut self,
        binary: &[u8],
        rewrites: usize,
        shifts: usize,
        insert: usize,
        delete: usize,
        margin: usize,
    ) -> Vec<u8> {
        let mut out = binary.to_vec();
        for _ in 0..rewrites {
            let at = self.below((out.len() - 8192) as u64) as usize;
            let fresh = self.code(4096);
            out[at..at + 4096].copy_from_slice(&fresh);
        }
        for _ in 0..shifts {
            let at = self.below((out.len() - margin) as u64) as usize;
            let fresh = self.code(insert);
            out.splice(at..at, fresh);
            let at = self.below((out.len() - margin) as u64) as usize;
            out.drain(at..at + delete);
        }
        out
    }
    fn text(&mut self, n: usize) -> Vec<u8> {
        const WORDS: &[&str] = &[
            "update",
            "framework",
            "target",
            "snapshot",
            "root",
            "metadata",
            "signature",
            "version",
            "archive",
            "patch",
            "bundle",
            "client",
            "repository",
            "key",
            "verify",
            "install",
            "window",
            "render",
            "config",
            "fn",
            "let",
            "return",
            "struct",
            "impl",
            "self",
            "match",
            "error",
            "result",
            "value",
            "index",
        ];
        let mut s = String::with_capacity(n + 64);
        while s.len() < n {
            for _ in 0..(6 + self.below(8)) {
                s.push_str(WORDS[self.below(WORDS.len() as u64) as usize]);
                s.push(' ');
            }
            s.push('\n');
        }
        s.truncate(n);
        s.into_bytes()
    }
}

/// Writes bundle versions 1 and 2 of about `size_mb` MB: a large binary
/// (40%) rebuilt with small code changes (rewritten regions, inserted and
/// deleted runs), ~2500 small files (25%) of which a few change, are added
/// or removed, and incompressible assets (35%) that do not change.
///
/// With `binary_changes` false (`--shape few-files`), the binary is the
/// same in both versions: only about 1% of the files change, the case
/// where a client's install should cost the changed bytes, not the bundle.
fn make_bundles(dir: &Path, size_mb: u64, binary_changes: bool) -> Result<(PathBuf, PathBuf)> {
    let total = size_mb * 1_000_000;
    let v1 = dir.join("v1");
    let v2 = dir.join("v2");
    for d in [&v1, &v2] {
        if d.exists() {
            std::fs::remove_dir_all(d)?;
        }
        std::fs::create_dir_all(d.join("assets"))?;
    }
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let binary = rng.code((total * 40 / 100) as usize);
    // Drawn either way, so both shapes share every other file.
    let rebuilt = rng.rebuilt(&binary, 20, 5, 10_000, 10_000, 20_000);
    let binary2 = if binary_changes {
        rebuilt
    } else {
        binary.clone()
    };
    std::fs::write(v1.join("app.bin"), &binary)?;
    std::fs::write(v2.join("app.bin"), &binary2)?;
    drop((binary, binary2));

    let small_total = total * 25 / 100;
    let count = 2500u64;
    let mut written = 0;
    let mut i = 0;
    while written < small_total {
        let size = (small_total / count / 2 + rng.below(small_total / count)) as usize;
        let rel = format!("lib/mod{:02}/sub{:02}/file{i:05}.py", i % 37, i % 11);
        let content = rng.text(size);
        let fate = rng.below(250);
        for d in [&v1, &v2] {
            std::fs::create_dir_all(d.join(&rel).parent().context("parent")?)?;
        }
        match fate {
            0 => std::fs::write(v1.join(&rel), &content)?, // removed in v2
            1 => std::fs::write(v2.join(&rel), &content)?, // added in v2
            2 | 3 => {
                std::fs::write(v1.join(&rel), &content)?;
                let mut edited = content.clone();
                let at = rng.below(edited.len() as u64) as usize;
                let insert = rng.text(200);
                edited.splice(at..at, insert);
                std::fs::write(v2.join(&rel), &edited)?;
            }
            _ => {
                std::fs::write(v1.join(&rel), &content)?;
                std::fs::write(v2.join(&rel), &content)?;
            }
        }
        written += size as u64;
        i += 1;
    }
    let assets_total = total * 35 / 100;
    for a in 0..10 {
        let content = rng.bytes((assets_total / 10) as usize);
        std::fs::write(v1.join(format!("assets/texture{a}.pak")), &content)?;
        std::fs::write(v2.join(format!("assets/texture{a}.pak")), &content)?;
    }
    Ok((v1, v2))
}

/// The other bundle shape (`--shape single-binary`): one large rebuilt
/// executable (an Electron, Qt or single-file app) of ~99% of `size_mb`
/// with scattered 4 KiB rewrites and a few small insertions and deletions
/// that shift everything after them, 1 MB of unchanged assets, and 30
/// small libraries of which 3 change.
fn make_single_binary(dir: &Path, size_mb: u64) -> Result<(PathBuf, PathBuf)> {
    let total = size_mb * 1_000_000;
    let v1 = dir.join("v1");
    let v2 = dir.join("v2");
    for d in [&v1, &v2] {
        if d.exists() {
            std::fs::remove_dir_all(d)?;
        }
        std::fs::create_dir_all(d.join("assets"))?;
        std::fs::create_dir_all(d.join("lib"))?;
    }
    let mut rng = Rng(0x5eed_1234_abcd_0002);
    let assets = rng.bytes(1_000_000);
    for d in [&v1, &v2] {
        std::fs::write(d.join("assets/icons.pak"), &assets)?;
    }
    for i in 0..30 {
        let lib = rng.code(40_000);
        std::fs::write(v1.join(format!("lib/lib{i:02}.so")), &lib)?;
        let mut lib2 = lib.clone();
        if i % 10 == 3 {
            let at = rng.below(30_000) as usize;
            lib2[at..at + 512].copy_from_slice(&rng.code(512));
        }
        std::fs::write(v2.join(format!("lib/lib{i:02}.so")), &lib2)?;
    }
    let size = total.saturating_sub(1_000_000 + 30 * 40_000) as usize;
    let binary = rng.code(size);
    let binary2 = rng.rebuilt(&binary, 8, 3, 300, 200, 2_000);
    std::fs::write(v1.join("app"), &binary)?;
    std::fs::write(v2.join("app"), &binary2)?;
    Ok((v1, v2))
}

struct Measured {
    secs: f64,
    peak_rss_mb: f64,
    stdout: String,
}

/// Runs `cmd`, waiting with `wait4` to read its own peak RSS.
fn measure(cmd: &mut Command) -> Result<Measured> {
    measure_within(cmd, None)?.context("no time limit was set")
}

/// Like [`measure`], but kills the command after `limit` and returns
/// `None` (for runs that may take hours).
fn measure_within(
    cmd: &mut Command,
    limit: Option<std::time::Duration>,
) -> Result<Option<Measured>> {
    let start = Instant::now();
    let out_file = tempfile::NamedTempFile::new()?;
    let child = cmd
        .stdout(out_file.reopen()?)
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {cmd:?}"))?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        let flags = if limit.is_some() { libc::WNOHANG } else { 0 };
        // SAFETY: pid is our own child, not reaped yet; both pointers are valid.
        let rc = unsafe { libc::wait4(pid, &mut status, flags, &mut usage) };
        if rc == pid {
            break;
        }
        if rc != 0 {
            bail!("wait4 failed for {cmd:?}");
        }
        if limit.is_some_and(|l| start.elapsed() > l) {
            // SAFETY: pid is our own child, still running (not reaped).
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::wait4(pid, &mut status, 0, &mut usage);
            }
            return Ok(None);
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let secs = start.elapsed().as_secs_f64();
    if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        bail!("{cmd:?} failed (status {status})");
    }
    Ok(Some(Measured {
        secs,
        peak_rss_mb: usage.ru_maxrss as f64 / 1024.0,
        stdout: std::fs::read_to_string(out_file.path())?,
    }))
}

fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(e.path()),
                Ok(_) => total += e.metadata().map(|m| m.len()).unwrap_or(0),
                Err(_) => {}
            }
        }
    }
    total
}

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    if let Some(n) = arg("--scale") {
        return scale_bench(n.parse()?);
    }
    if let Some(dir) = arg("--generate") {
        let size: u64 = args.get(3).context("--generate DIR SIZE_MB")?.parse()?;
        match arg("--shape").as_deref() {
            Some("single-binary") => make_single_binary(Path::new(&dir), size)?,
            Some("few-files") => make_bundles(Path::new(&dir), size, false)?,
            _ => make_bundles(Path::new(&dir), size, true)?,
        };
        return Ok(());
    }
    if let Some(old) = arg("--whole-tar-diff") {
        let new = args.get(3).context("--whole-tar-diff OLD NEW")?;
        let read = |p: &str| -> Result<Vec<u8>> {
            let file = std::fs::File::open(p)?;
            let mut tar = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(file), &mut tar)?;
            Ok(tar)
        };
        let (old, new) = (read(&old)?, read(new)?);
        println!("{}", tufa::patch::create(&old, &new)?.len());
        return Ok(());
    }
    let size_mb: u64 = arg("--size-mb")
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(100);
    let skip_tufup = args.iter().any(|a| a == "--skip-tufup");
    let keep = arg("--work").map(PathBuf::from);
    let scratch = tempfile::tempdir()?;
    let work = keep.unwrap_or_else(|| scratch.path().to_path_buf());
    std::fs::create_dir_all(&work)?;

    let tufa = std::env::current_exe()?
        .parent()
        .context("exe dir")?
        .join("tufa");
    if !tufa.exists() {
        bail!(
            "{} missing: build it with `cargo build --release -p tufa-cli`",
            tufa.display()
        );
    }
    eprintln!("generating {size_mb} MB bundles in {}", work.display());
    // Generated in a child process: the kernel counts a parent's peak RSS
    // into the ru_maxrss of children it spawns later (the high-water mark
    // carries over exec), so this process must stay small.
    let bundles = work.join("bundles");
    let shape = arg("--shape").unwrap_or_else(|| "mixed".into());
    if !matches!(shape.as_str(), "mixed" | "single-binary" | "few-files") {
        bail!("--shape is mixed (default), single-binary or few-files");
    }
    eprintln!("bundle shape: {shape}");
    let status = Command::new(std::env::current_exe()?)
        .arg("--generate")
        .arg(&bundles)
        .arg(size_mb.to_string())
        .args(["--shape", &shape])
        .status()?;
    if !status.success() {
        bail!("generating bundles failed");
    }
    let (v1, v2) = (bundles.join("v1"), bundles.join("v2"));
    let bundle_mb = dir_size(&v2) as f64 / 1e6;

    // Tufa
    let proj = work.join("tufa-proj");
    let _ = std::fs::remove_dir_all(&proj);
    let ok = Command::new(&tufa)
        .args(["--json", "init", "--app", "bench"])
        .arg("--project")
        .arg(&proj)
        .output()?;
    if !ok.status.success() {
        bail!("tufa init failed: {}", String::from_utf8_lossy(&ok.stdout));
    }
    eprintln!("tufa: first release (archive only)");
    let t1 = measure(
        Command::new(&tufa)
            .arg("--project")
            .arg(&proj)
            .args(["--json", "add"])
            .arg(&v1)
            .args(["--version", "1.0"]),
    )?;
    eprintln!("tufa: estimate of the second release");
    let te = measure(
        Command::new(&tufa)
            .arg("--project")
            .arg(&proj)
            .args(["--json", "add"])
            .arg(&v2)
            .args(["--version", "2.0", "--estimate"]),
    )?;
    let estimate: serde_json::Value = serde_json::from_str(&te.stdout)?;
    eprintln!("tufa: second release (archive + patch)");
    let t2 = measure(
        Command::new(&tufa)
            .arg("--project")
            .arg(&proj)
            .args(["--json", "add"])
            .arg(&v2)
            .args(["--version", "2.0"]),
    )?;
    let plan: serde_json::Value = serde_json::from_str(&t2.stdout)?;
    let tar_mb = plan["plan"]["tar_size"].as_f64().unwrap_or(0.0) / 1e6;
    let tufa_archive = plan["plan"]["archive"]["size"].as_u64().unwrap_or(0);
    let tufa_patch = plan["plan"]["patch"]["size"].as_u64().unwrap_or(0);

    let mut rows = vec![
        format!("| bundle | {bundle_mb:.1} MB ({tar_mb:.1} MB tar) | |"),
        "| **step** | **Tufa** | **Python tufup 0.10** |".to_string(),
    ];
    let mut tufup_cells = [
        "skipped".to_string(),
        "skipped".into(),
        "skipped".into(),
        "skipped".into(),
        "skipped".into(),
    ];
    let mut skip_tufup_client = skip_tufup;
    'tufup: {
        if skip_tufup {
            break 'tufup;
        }
        let py = tufa_tests::workspace().join(".venv/bin/python");
        let script = tufa_tests::workspace().join("tests/bench/tufup_publish.py");
        let pw = work.join("tufup-work");
        let _ = std::fs::remove_dir_all(&pw);
        eprintln!("tufup: first release");
        let p1 = measure(
            Command::new(&py)
                .arg(&script)
                .arg("init")
                .arg(&pw)
                .arg("bench")
                .arg(&v1)
                .arg("1.0"),
        )?;
        eprintln!("tufup: second release (this takes a while: bsdiff4 on the whole tar)");
        let limit = std::time::Duration::from_secs(30 * 60);
        let p2 = measure_within(
            Command::new(&py)
                .arg(&script)
                .arg("add")
                .arg(&pw)
                .arg("bench")
                .arg(&v2)
                .arg("2.0"),
            Some(limit),
        )?;
        let targets = pw.join("repository/targets");
        let Some(p2) = p2 else {
            eprintln!("tufup: second release stopped after 30 minutes");
            tufup_cells = [
                format!("{:.1} s, {:.0} MB peak RSS", p1.secs, p1.peak_rss_mb),
                "stopped after 30 min (not finished)".into(),
                "—".into(),
                "—".into(),
                "—".into(),
            ];
            skip_tufup_client = true;
            break 'tufup;
        };
        tufup_cells = [
            format!("{:.1} s, {:.0} MB peak RSS", p1.secs, p1.peak_rss_mb),
            format!("{:.1} s, {:.0} MB peak RSS", p2.secs, p2.peak_rss_mb),
            format!(
                "{:.2} MB",
                file_len(&targets.join("bench-2.0.tar.gz")) as f64 / 1e6
            ),
            format!(
                "{:.3} MB",
                file_len(&targets.join("bench-2.0.patch")) as f64 / 1e6
            ),
            format!("{:.1} MB/s", tar_mb / p2.secs),
        ];
        eprintln!("tufup timings: {} / {}", p1.stdout.trim(), p2.stdout.trim());
    }
    rows.push(format!(
        "| publish 1st release (tar + gzip + sign) | {:.1} s, {:.0} MB peak RSS ({:.1} MB/s) | {} |",
        t1.secs,
        t1.peak_rss_mb,
        bundle_mb / t1.secs,
        tufup_cells[0]
    ));
    rows.push(format!(
        "| publish 2nd release (tar + gzip + patch + sign) | {:.1} s, {:.0} MB peak RSS | {} |",
        t2.secs, t2.peak_rss_mb, tufup_cells[1]
    ));
    rows.push(format!(
        "| archive size (2nd) | {:.2} MB | {} |",
        tufa_archive as f64 / 1e6,
        tufup_cells[2]
    ));
    rows.push(format!(
        "| patch size (1st → 2nd) | {:.3} MB | {} |",
        tufa_patch as f64 / 1e6,
        tufup_cells[3]
    ));
    rows.push(format!(
        "| throughput of the 2nd publish (tar MB / s) | {:.1} MB/s | {} |",
        tar_mb / t2.secs,
        tufup_cells[4]
    ));
    rows.push(format!(
        "| estimate of the 2nd release (`add --estimate`, bundle already in the page cache) | {:.2} s, {:.0} MB peak RSS: {} files changed, {} added, {} removed; archive ≈ {:.2} MB; patch between {:.3} and {:.3} MB | |",
        te.secs,
        te.peak_rss_mb,
        estimate["changed"].as_array().map_or(0, Vec::len),
        estimate["added"].as_array().map_or(0, Vec::len),
        estimate["removed"].as_array().map_or(0, Vec::len),
        estimate["archive_estimate"].as_f64().unwrap_or(0.0) / 1e6,
        estimate["patch_low"].as_f64().unwrap_or(0.0) / 1e6,
        estimate["patch_high"].as_f64().unwrap_or(0.0) / 1e6,
    ));
    let diff = &plan["plan"]["diff"];
    let stats = &plan["plan"]["archive_stats"];
    rows.push(format!(
        "| what the 2nd publish did | {} members unchanged, {} changed, {} added; bsdiff on {:.2} MB; {} of {} gzip members ({:.0} MB of tar) copied from 1st archive | |",
        diff["unchanged"],
        diff["changed"],
        diff["added"],
        diff["bsdiff_bytes"].as_f64().unwrap_or(0.0) / 1e6,
        stats["reused_members"],
        stats["members"],
        stats["reused_tar_bytes"].as_f64().unwrap_or(0.0) / 1e6,
    ));
    if !args.iter().any(|a| a == "--skip-whole-tar") {
        eprintln!("whole-tar qbsdiff for comparison");
        let targets = proj.join("repository/targets");
        let m = measure(
            Command::new(std::env::current_exe()?)
                .arg("--whole-tar-diff")
                .arg(targets.join("bench-1.0.tar.gz"))
                .arg(targets.join("bench-2.0.tar.gz")),
        )?;
        let whole: f64 = m.stdout.trim().parse()?;
        rows.push(format!(
            "| whole-tar qbsdiff patch, for comparison | {:.3} MB; {:.1} s, {:.0} MB peak RSS (tar-aware patch is {:+.1}%) | |",
            whole / 1e6,
            m.secs,
            m.peak_rss_mb,
            (tufa_patch as f64 / whole - 1.0) * 100.0
        ));
    }
    println!("| | | |\n|---|---|---|");
    for r in rows {
        println!("{r}");
    }
    if !args.iter().any(|a| a == "--skip-client") {
        client_bench(&tufa, &work, &proj, skip_tufup_client)?;
    }
    Ok(())
}

/// Serves `dir` with `python3 -m http.server` on a free loopback port, in
/// another process (its CPU and memory are not the client's).
fn serve(dir: &Path) -> Result<(std::process::Child, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let server = Command::new("python3")
        .args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--directory",
        ])
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    std::thread::sleep(std::time::Duration::from_millis(700));
    Ok((server, format!("http://127.0.0.1:{port}")))
}

/// Serves the Tufa-published repository on loopback (another process) and
/// updates an install of 1.0 to 2.0 with each client, by patch and full.
fn client_bench(tufa: &Path, work: &Path, proj: &Path, skip_tufup: bool) -> Result<()> {
    let repo = proj.join("repository");
    let (mut server, url) = serve(&repo)?;
    let archive = repo.join("targets/bench-1.0.tar.gz");
    // Streamed to a file, never held here (see the note on ru_maxrss).
    let tar = work.join("bench-1.0.tar");
    std::io::copy(
        &mut flate2::read::MultiGzDecoder::new(std::fs::File::open(&archive)?),
        &mut std::fs::File::create(&tar)?,
    )?;
    let unpack = |dest: &Path| -> Result<()> {
        tar::Archive::new(std::fs::File::open(&tar)?).unpack(dest)?;
        Ok(())
    };
    let mut rows = Vec::new();
    for (label, patch) in [("patch", true), ("full archive", false)] {
        let base = work.join(format!("client-{}", if patch { "patch" } else { "full" }));
        let _ = std::fs::remove_dir_all(&base);
        let (install, meta, cache) = (base.join("install"), base.join("meta"), base.join("cache"));
        for d in [&install, &meta, &cache] {
            std::fs::create_dir_all(d)?;
        }
        std::fs::copy(repo.join("metadata/1.root.json"), meta.join("root.json"))?;
        unpack(&install)?;
        if patch {
            std::fs::copy(&tar, cache.join("bench-1.0.tar"))?;
        }
        // Start each run with no dirty pages from the set-up, so that the
        // install's flush to disk measures the install only.
        let _ = Command::new("sync").status();
        eprintln!("tufa client: update by {label}");
        let m = measure(
            Command::new(tufa)
                .args([
                    "--json",
                    "update",
                    "--app",
                    "bench",
                    "--current-version",
                    "1.0",
                    "--purge",
                ])
                .arg("--install-dir")
                .arg(&install)
                .arg("--metadata-dir")
                .arg(&meta)
                .arg("--cache-dir")
                .arg(&cache)
                .args([
                    "--metadata-url",
                    &format!("{url}/metadata"),
                    "--targets-url",
                    &format!("{url}/targets"),
                ]),
        )?;
        let v: serde_json::Value = serde_json::from_str(&m.stdout)?;
        let t = &v["timings"];
        let phases = format!(
            "refresh {:.2} s, download {:.2} s, patch+verify {:.2} s, extract+install {:.2} s",
            t["refresh_secs"].as_f64().unwrap_or(0.0),
            t["download_secs"].as_f64().unwrap_or(0.0),
            t["patch_and_verify_secs"].as_f64().unwrap_or(0.0),
            t["extract_and_install_secs"].as_f64().unwrap_or(0.0)
        );
        let i = &v["install"];
        let phases = format!(
            "{phases}; {} files / {:.1} MB written, {} files / {:.1} MB kept from 1.0",
            i["files_written"].as_u64().unwrap_or(0),
            i["bytes_written"].as_u64().unwrap_or(0) as f64 / 1e6,
            i["files_reused"].as_u64().unwrap_or(0),
            i["bytes_reused"].as_u64().unwrap_or(0) as f64 / 1e6,
        );
        let fetched: u64 = v["fetched"]
            .as_array()
            .map(|a| a.iter().filter_map(|f| f["size"].as_u64()).sum())
            .unwrap_or(0);
        let mut py_cell = "skipped".to_string();
        if !skip_tufup {
            let pbase = work.join(format!("pyclient-{}", if patch { "patch" } else { "full" }));
            let _ = std::fs::remove_dir_all(&pbase);
            let pinstall = pbase.join("install");
            std::fs::create_dir_all(pbase.join("state/targets"))?;
            std::fs::create_dir_all(&pinstall)?;
            unpack(&pinstall)?;
            if patch {
                std::fs::copy(&archive, pbase.join("state/targets/bench-1.0.tar.gz"))?;
            }
            let _ = Command::new("sync").status();
            eprintln!("tufup client: update by {label}");
            let mut cmd = Command::new(tufa_tests::workspace().join(".venv/bin/python"));
            cmd.arg(tufa_tests::workspace().join("scripts/tufup-client.py"))
                .args(["--url", &url, "--app", "bench", "--version", "1.0"])
                .arg("--install-dir")
                .arg(&pinstall)
                .arg("--state-dir")
                .arg(pbase.join("state"))
                .arg("--root")
                .arg(repo.join("metadata/1.root.json"));
            if !patch {
                cmd.arg("--no-patch");
            }
            let p = measure(&mut cmd)?;
            py_cell = format!("{:.1} s, {:.0} MB peak RSS", p.secs, p.peak_rss_mb);
        }
        rows.push(format!(
            "| update 1.0 → 2.0 by {label} ({:.2} MB fetched) | {:.1} s, {:.0} MB peak RSS ({phases}) | {py_cell} |",
            fetched as f64 / 1e6,
            m.secs,
            m.peak_rss_mb
        ));
    }
    let _ = server.kill();
    let _ = server.wait();
    println!("\n| client (loopback HTTP) | **Tufa** | **Python tufup 0.10** |\n|---|---|---|");
    for r in rows {
        println!("{r}");
    }
    Ok(())
}

/// A repository with `n` releases: how long status, add --plan and a
/// client check take, how large targets.json is, and what a client
/// downloads per check.
fn scale_bench(n: usize) -> Result<()> {
    let tufa = std::env::current_exe()?
        .parent()
        .context("exe dir")?
        .join("tufa");
    let work = tempfile::tempdir()?;
    let proj = work.path().join("proj");
    let run = |args: &[&str]| -> Result<std::process::Output> {
        let out = Command::new(&tufa)
            .arg("--project")
            .arg(&proj)
            .args(args)
            .output()?;
        if !out.status.success() {
            bail!(
                "tufa {args:?} failed: {}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        Ok(out)
    };
    run(&["init", "--app", "demo", "--key-store", "file"])?;
    eprintln!("publishing {n} releases");
    let started = Instant::now();
    let bundle = work.path().join("b");
    for i in 0..n {
        std::fs::create_dir_all(&bundle)?;
        std::fs::write(bundle.join("VERSION"), format!("1.{i}"))?;
        run(&[
            "add",
            bundle.to_str().context("utf-8")?,
            "--version",
            &format!("1.{i}"),
        ])?;
    }
    eprintln!("  {:.1} s", started.elapsed().as_secs_f64());
    let timed = |f: &dyn Fn() -> Result<()>| -> Result<f64> {
        let t = Instant::now();
        f()?;
        Ok(t.elapsed().as_secs_f64())
    };
    let status = timed(&|| run(&["--json", "status"]).map(|_| ()))?;
    std::fs::write(bundle.join("VERSION"), "next")?;
    let plan = timed(&|| {
        run(&[
            "--json",
            "add",
            bundle.to_str().unwrap_or_default(),
            "--version",
            "2.0",
            "--plan",
        ])
        .map(|_| ())
    })?;
    let repo = proj.join("repository");
    let size = |f: &str| {
        std::fs::metadata(repo.join("metadata").join(f))
            .map(|m| m.len())
            .unwrap_or(0)
    };
    let (mut server, url) = serve(&repo)?;
    let client = work.path().join("client");
    std::fs::create_dir_all(client.join("meta"))?;
    std::fs::copy(
        repo.join("metadata/1.root.json"),
        client.join("meta/root.json"),
    )?;
    let check = timed(&|| {
        let out = Command::new(&tufa)
            .args([
                "--json",
                "update",
                "--app",
                "demo",
                "--current-version",
                "1.0",
                "--check-only",
            ])
            .arg("--install-dir")
            .arg(client.join("install"))
            .arg("--metadata-dir")
            .arg(client.join("meta"))
            .arg("--cache-dir")
            .arg(client.join("cache"))
            .args([
                "--metadata-url",
                &format!("{url}/metadata"),
                "--targets-url",
                &format!("{url}/targets"),
            ])
            .output()?;
        if !out.status.success() {
            bail!("check failed: {}", String::from_utf8_lossy(&out.stdout));
        }
        Ok(())
    })?;
    let _ = server.kill();
    let _ = server.wait();
    println!("| {n} releases | |\n|---|---|");
    println!("| `tufa status` | {status:.2} s |");
    println!("| `tufa add --plan` (next release) | {plan:.2} s |");
    println!("| client check (`tufa update --check-only`, loopback) | {check:.2} s |");
    println!("| targets.json | {} bytes |", size("targets.json"));
    println!(
        "| client download per check (timestamp + snapshot + targets) | {} bytes |",
        size("timestamp.json") + size("snapshot.json") + size("targets.json")
    );
    Ok(())
}
