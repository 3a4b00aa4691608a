//! Installing on exit: a version *staged* beside the install dir while the
//! app runs, then swapped in by a helper process once the app has exited.
//!
//! Files beside `<install>` (same parent, so same filesystem):
//! - `<install>.tufa-next/`: the staged new version, complete (extracted,
//!   verified, flushed). It only counts as staged once
//!   `<install>.tufa-next.json` (the marker, written atomically after the
//!   tree is complete) exists; a directory without marker is a stage()
//!   that did not finish, and is removed.
//! - `<install>.tufa-handover.json`: the plan the helper executes, written
//!   atomically before the helper starts. While it exists, the next
//!   [`recover`] finishes or rolls back the hand-over.
//! - `<install>.tufa-handover.log`: the helper's output.
//!
//! The helper's steps and what a crash after each leaves (see [`recover`]):
//! 1. wait for the app's process to exit;
//! 2. carry over from the old version what must survive (done now, not at
//!    stage time, so settings written after staging are kept);
//! 3. write the sentinel `.tufa-handover-old` into the *old* version;
//! 4. swap: one atomic exchange on Linux/macOS (the staged dir then holds
//!    the old version, sentinel included), elsewhere the
//!    [`SwapPlan`](super::windows::SwapPlan) moves (`install → .tufa-old`,
//!    `next → install`, restore if missing);
//! 5. move the old version to `<install>.tufa-old` and delete it;
//! 6. remove the marker and the plan; 7. restart the app if asked.
//!
//! The state after any crash is read from what exists: the staged dir
//! holding the sentinel, or gone, means the swap happened (finish:
//! cleanup); otherwise it did not (roll back: remove the sentinel, the
//! staged version stays for the next hand-over). `.tufa-old` is handled
//! by [`recover_interrupted`] as for the
//! in-process install: restored if the install dir is missing (first
//! rename done, second not), deleted otherwise.

use super::{carry_over, recover_interrupted, sibling, stage, swap, InstallOptions};
use crate::error::IoContext;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Name of the file written into the old version just before the swap:
/// wherever it is afterwards tells whether the swap happened.
const SENTINEL: &str = ".tufa-handover-old";

/// The directory holding the staged version of `install_dir`.
pub fn staged_dir(install_dir: &Path) -> Result<PathBuf> {
    sibling(install_dir, ".tufa-next")
}

fn marker_path(install_dir: &Path) -> Result<PathBuf> {
    sibling(install_dir, ".tufa-next.json")
}

/// Where the hand-over plan of `install_dir` is written.
pub fn plan_path(install_dir: &Path) -> Result<PathBuf> {
    sibling(install_dir, ".tufa-handover.json")
}

/// Where the helper writes its output.
pub fn log_path(install_dir: &Path) -> Result<PathBuf> {
    sibling(install_dir, ".tufa-handover.log")
}

/// A version staged beside the install dir, waiting for the hand-over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staged {
    /// The version staged (as the tar's release says).
    pub version: String,
    /// The staged tree.
    pub dir: PathBuf,
    /// Remove old files the new version lacks (see [`InstallOptions`]).
    pub purge: bool,
    /// Paths kept from the old version when purging.
    pub exclude: Vec<PathBuf>,
}

/// The program started once the new version is in place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restart {
    /// Usually the app's own executable inside the install dir.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
}

/// What the helper executes, written atomically next to the staged dir.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Format of this file.
    pub format: u32,
    /// The install dir to replace.
    pub install_dir: PathBuf,
    /// The staged version to put there.
    pub staged: Staged,
    /// The app's process: nothing moves until it exited.
    pub wait_for_pid: u32,
    /// The helper's process once started: while it runs, [`recover`]
    /// leaves the hand-over alone.
    pub helper_pid: Option<u32>,
    /// What to start afterwards.
    pub restart: Option<Restart>,
}

/// What [`recover`] found and did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovered {
    /// No hand-over was pending.
    Nothing,
    /// A hand-over is under way (the app or the helper still runs).
    InProgress,
    /// An interrupted hand-over had swapped: the new version stays, the
    /// leftovers were removed.
    Finished,
    /// An interrupted hand-over had not swapped: the old version stays;
    /// the staged version is kept for the next hand-over.
    RolledBack,
}

/// The staged version of `install_dir`, if one is complete.
pub fn staged(install_dir: &Path) -> Result<Option<Staged>> {
    let marker = marker_path(install_dir)?;
    let dir = staged_dir(install_dir)?;
    let Ok(bytes) = std::fs::read(&marker) else {
        return Ok(None);
    };
    match serde_json::from_slice::<Staged>(&bytes) {
        Ok(s) if dir.is_dir() && s.dir == dir => Ok(Some(s)),
        _ => Ok(None),
    }
}

/// Removes the staged version (superseded, or installed another way).
pub fn discard_staged(install_dir: &Path) -> Result<()> {
    let marker = marker_path(install_dir)?;
    // The marker first: a half-deleted tree must never count as staged.
    if marker.exists() {
        std::fs::remove_file(&marker).context(|| format!("removing {}", marker.display()))?;
    }
    let dir = staged_dir(install_dir)?;
    if dir.exists() {
        std::fs::remove_dir_all(&dir).context(|| format!("removing {}", dir.display()))?;
    }
    Ok(())
}

/// Extracts `tar` (already verified) into `<install>.tufa-next` without
/// touching `install_dir`, replacing any version staged before, and marks
/// it staged. Refused while a hand-over is under way. `watch` sees the
/// bytes read (an error from it, i.e. cancellation, removes the partial
/// tree).
pub fn stage_tar(
    tar: &Path,
    version: &str,
    install_dir: &Path,
    options: &InstallOptions,
    watch: &mut dyn FnMut(u64) -> std::io::Result<()>,
) -> Result<Staged> {
    stage_tar_reusing(tar, version, install_dir, options, None, watch)
}

/// [`stage_tar`] taking unchanged files from the installed version. The
/// staged version waits while the old one runs on, so they are cloned or
/// copied, never hard-linked: the running app writing one of its files
/// must not change the version waiting to replace it.
pub(crate) fn stage_tar_reusing(
    tar: &Path,
    version: &str,
    install_dir: &Path,
    options: &InstallOptions,
    reuse: Option<&super::ReuseContext>,
    watch: &mut dyn FnMut(u64) -> std::io::Result<()>,
) -> Result<Staged> {
    let reuse = reuse.map(|ctx| super::Reuse {
        ctx,
        install_dir,
        how: super::Materialize::CloneOrCopy,
    });
    if options.installer.is_some() {
        return Err(Error::Install(
            "a custom installer cannot run in the hand-over helper; install in-process".into(),
        ));
    }
    if super::link::read(install_dir)?.is_some() {
        return Err(Error::Install(format!(
            "{} is a symlink: install in-process (the link is swapped atomically)",
            install_dir.display()
        )));
    }
    if recover(install_dir)? == Recovered::InProgress {
        return Err(Error::Install(
            "a hand-over is under way; stage again after it".into(),
        ));
    }
    discard_staged(install_dir)?;
    let dir = staged_dir(install_dir)?;
    let staged = Staged {
        version: version.to_string(),
        dir: dir.clone(),
        purge: options.purge,
        exclude: options.exclude.clone(),
    };
    // Carry-over waits for the helper: the app may still write settings.
    match stage(tar, &dir, None, options, reuse, watch) {
        // Its files are clones or copies that only the staged version
        // has: their identity survives the swap.
        Ok((_, files)) => {
            if let Some(r) = reuse {
                super::reuse::record(r.ctx, install_dir, &dir, &files);
            }
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(e);
        }
    }
    let bytes = serde_json::to_vec_pretty(&staged)
        .map_err(|e| Error::Install(format!("writing the staged marker: {e}")))?;
    crate::fsutil::write_atomic(&marker_path(install_dir)?, &bytes)?;
    tracing::info!(version, dir = %dir.display(), "version staged");
    Ok(staged)
}

/// Writes the plan for handing the staged version over once
/// `wait_for_pid` exited. Returns it, and where it was written.
pub fn write_plan(
    install_dir: &Path,
    wait_for_pid: u32,
    restart: Option<Restart>,
) -> Result<(Plan, PathBuf)> {
    let staged = staged(install_dir)?.ok_or_else(|| {
        Error::Install(format!(
            "no version is staged for {}: stage one first",
            install_dir.display()
        ))
    })?;
    let plan = Plan {
        format: 1,
        install_dir: install_dir.to_path_buf(),
        staged,
        wait_for_pid,
        helper_pid: None,
        restart,
    };
    let path = plan_path(install_dir)?;
    save_plan(&path, &plan)?;
    Ok((plan, path))
}

pub(crate) fn save_plan(path: &Path, plan: &Plan) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(plan)
        .map_err(|e| Error::Install(format!("writing the hand-over plan: {e}")))?;
    crate::fsutil::write_atomic(path, &bytes)
}

/// Reads a plan file.
pub fn read_plan(path: &Path) -> Result<Plan> {
    let bytes = std::fs::read(path).context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Error::Install(format!("the hand-over plan {}: {e}", path.display())))
}

/// Whether process `pid` still runs. On Linux a zombie (exited, not yet
/// reaped by a parent that may never look, such as a test driver) has
/// closed its files and counts as ended; elsewhere it counts as running.
pub fn process_alive(pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(p) = i32::try_from(pid) else {
            return false;
        };
        if p <= 0 {
            return false;
        }
        #[cfg(target_os = "linux")]
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) {
            // `pid (comm) state …`: comm may hold spaces and parentheses,
            // the state follows the last `)`.
            if let Some(state) = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
            {
                if state == "Z" || state == "X" {
                    return false;
                }
            }
        }
        // SAFETY: signal 0 only checks that the process exists.
        let rc = unsafe { libc::kill(p, 0) };
        rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
    }
    #[cfg(windows)]
    {
        // tasklist prints the process's line only while it exists.
        std::process::Command::new("tasklist")
            .args(["/FI", &format!("PID eq {pid}"), "/NH"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).contains(&format!(" {pid} ")))
            .unwrap_or(false)
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = pid;
        false
    }
}

/// Blocks until process `pid` exited.
pub fn wait_for_exit(pid: u32) {
    while process_alive(pid) {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Finishes or rolls back a hand-over interrupted by a crash (of the
/// helper, or of the machine), from what exists on disk; see the module
/// docs. Leaves a hand-over whose app or helper still runs alone. Call at
/// start-up ([`Updater::check`](crate::client::Updater::check) does).
pub fn recover(install_dir: &Path) -> Result<Recovered> {
    let path = plan_path(install_dir)?;
    if !path.exists() {
        // Not ours to judge a `.tufa-old` of an in-process install here;
        // the marker without its tree (or the reverse) is dropped.
        if staged(install_dir)?.is_none() {
            let dir = staged_dir(install_dir)?;
            if dir.exists() || marker_path(install_dir)?.exists() {
                discard_staged(install_dir)?;
            }
        }
        return Ok(Recovered::Nothing);
    }
    let plan = read_plan(&path);
    if let Ok(plan) = &plan {
        let me = std::process::id();
        // The app that handed over may be this very process, not exited yet.
        let app_runs = plan.wait_for_pid == me || process_alive(plan.wait_for_pid);
        let helper_runs = plan.helper_pid.is_some_and(|p| p != me && process_alive(p));
        if app_runs || helper_runs {
            return Ok(Recovered::InProgress);
        }
    }
    recover_interrupted(install_dir)?;
    let staged_tree = staged_dir(install_dir)?;
    let swapped = !staged_tree.exists() || staged_tree.join(SENTINEL).exists();
    let outcome = if swapped {
        finish(install_dir)?;
        Recovered::Finished
    } else {
        let sentinel = install_dir.join(SENTINEL);
        if sentinel.exists() {
            std::fs::remove_file(&sentinel)
                .context(|| format!("removing {}", sentinel.display()))?;
        }
        Recovered::RolledBack
    };
    std::fs::remove_file(&path).context(|| format!("removing {}", path.display()))?;
    tracing::info!(outcome = ?outcome, install_dir = %install_dir.display(), "interrupted hand-over recovered");
    Ok(outcome)
}

/// After the swap: the old version (in the staged dir) moves to
/// `.tufa-old` and goes, then the marker.
fn finish(install_dir: &Path) -> Result<()> {
    let staged_tree = staged_dir(install_dir)?;
    let old = sibling(install_dir, ".tufa-old")?;
    if staged_tree.exists() {
        if old.exists() {
            std::fs::remove_dir_all(&old).context(|| format!("removing {}", old.display()))?;
        }
        // One rename: from here on no tree called `.tufa-next` exists that
        // could be mistaken for a staged version while it is deleted.
        std::fs::rename(&staged_tree, &old)
            .context(|| format!("moving the old version to {}", old.display()))?;
    }
    crate::fsutil::failpoint("handover-before-delete");
    recover_interrupted(install_dir)?;
    let marker = marker_path(install_dir)?;
    if marker.exists() {
        std::fs::remove_file(&marker).context(|| format!("removing {}", marker.display()))?;
    }
    Ok(())
}

/// Runs the hand-over of the plan at `path`: waits for the app to exit,
/// swaps the staged version in, cleans up, restarts if asked. This is
/// what the helper process does (see
/// [`client::helper`](crate::client::helper)).
pub fn execute(path: &Path) -> Result<()> {
    let plan = read_plan(path)?;
    let install_dir = plan.install_dir.clone();
    if plan_path(&install_dir)? != path {
        return Err(Error::Install(format!(
            "{} is not the hand-over plan of {}",
            path.display(),
            install_dir.display()
        )));
    }
    check_plan(path, &plan)?;
    eprintln!(
        "tufa helper: waiting for process {} to exit",
        plan.wait_for_pid
    );
    wait_for_exit(plan.wait_for_pid);
    crate::fsutil::failpoint("handover-after-wait");
    // A crash of an earlier helper for this plan left its state behind.
    recover_interrupted(&install_dir)?;
    let staged_tree = staged_dir(&install_dir)?;
    let swapped_before = !staged_tree.exists() || staged_tree.join(SENTINEL).exists();
    if !swapped_before {
        let options = InstallOptions {
            purge: plan.staged.purge,
            exclude: plan.staged.exclude.clone(),
            installer: None,
        };
        if install_dir.exists() {
            carry_over(&install_dir, &staged_tree, &options)?;
            swap::fsync_tree(&staged_tree);
        }
        crate::fsutil::failpoint("handover-after-carry-over");
        if install_dir.exists() {
            let sentinel = install_dir.join(SENTINEL);
            let f = std::fs::File::create(&sentinel)
                .context(|| format!("creating {}", sentinel.display()))?;
            let _ = f.sync_all();
            crate::fsutil::sync_dir(&install_dir);
            crate::fsutil::failpoint("handover-after-sentinel");
            swap_in(&staged_tree, &install_dir)?;
        } else {
            std::fs::rename(&staged_tree, &install_dir)
                .context(|| format!("moving the new version to {}", install_dir.display()))?;
        }
        crate::fsutil::failpoint("handover-after-swap");
    }
    finish(&install_dir)?;
    crate::fsutil::failpoint("handover-before-plan-removal");
    std::fs::remove_file(path).context(|| format!("removing {}", path.display()))?;
    eprintln!(
        "tufa helper: {} now holds {}",
        install_dir.display(),
        plan.staged.version
    );
    if let Some(restart) = &plan.restart {
        restart_app(restart)?;
    }
    Ok(())
}

/// What the helper checks before acting on a plan, since anyone can start
/// it with any file: the plan was written by this user and nobody else
/// can change it; a staged tree beside the install dir is one that
/// [`stage_tar`] completed (its marker) for this plan's version; the
/// program to restart is the app inside the install dir or this helper.
fn check_plan(path: &Path, plan: &Plan) -> Result<()> {
    let refuse = |why: String| {
        Err(Error::Install(format!(
            "the hand-over plan {} is refused: {why}",
            path.display()
        )))
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta =
            std::fs::symlink_metadata(path).context(|| format!("reading {}", path.display()))?;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        if !meta.file_type().is_file() || meta.uid() != me || meta.mode() & 0o022 != 0 {
            return refuse("it is not a file of this user that only this user can change".into());
        }
    }
    let staged_tree = staged_dir(&plan.install_dir)?;
    if staged_tree.exists() && !staged_tree.join(SENTINEL).exists() {
        match staged(&plan.install_dir)? {
            Some(s) if s == plan.staged => {}
            _ => {
                return refuse(format!(
                    "{} was not staged by Tufa for version {}",
                    staged_tree.display(),
                    plan.staged.version
                ))
            }
        }
    }
    if let Some(restart) = &plan.restart {
        let inside = |p: &Path| -> bool {
            match (p.canonicalize(), plan.install_dir.canonicalize()) {
                (Ok(p), Ok(dir)) => p.starts_with(dir),
                // Not there yet: the new version holds it after the swap.
                _ => p.starts_with(&plan.install_dir),
            }
        };
        let helper = std::env::current_exe()
            .ok()
            .and_then(|e| e.canonicalize().ok());
        let is_helper =
            helper.is_some_and(|h| restart.program.canonicalize().is_ok_and(|p| p == h));
        let climbs = restart
            .program
            .components()
            .any(|c| c == std::path::Component::ParentDir);
        if !restart.program.is_absolute() || climbs || !(inside(&restart.program) || is_helper) {
            return refuse(format!(
                "it restarts {}, which is neither in {} nor this program",
                restart.program.display(),
                plan.install_dir.display()
            ));
        }
    }
    Ok(())
}

/// Starts the new version, detached from the helper.
fn restart_app(restart: &Restart) -> Result<()> {
    let mut cmd = std::process::Command::new(&restart.program);
    cmd.args(&restart.args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    cmd.spawn()
        .context(|| format!("restarting {}", restart.program.display()))?;
    eprintln!("tufa helper: restarted {}", restart.program.display());
    Ok(())
}

/// The swap itself: atomic where the OS has an exchange, else the
/// [`SwapPlan`](super::windows::SwapPlan) moves. `TUFA_HANDOVER_RENAMES=1`
/// forces the moves in debug builds, so tests run them on Linux too.
fn swap_in(staged_tree: &Path, install_dir: &Path) -> Result<()> {
    let force_moves =
        cfg!(debug_assertions) && std::env::var("TUFA_HANDOVER_RENAMES").is_ok_and(|v| v == "1");
    if cfg!(any(target_os = "linux", target_os = "macos")) && !force_moves {
        return swap::swap_dirs(staged_tree, install_dir);
    }
    let plan = super::windows::SwapPlan::new(0, staged_tree, install_dir, None);
    run_moves(&plan)
}

/// Executes the moves of a [`SwapPlan`](super::windows::SwapPlan) (the
/// wait and the launch are the helper's own). A failing move skips to the
/// next restore step, then the error is returned.
pub(crate) fn run_moves(plan: &super::windows::SwapPlan) -> Result<()> {
    use super::windows::Step;
    let mut failed: Option<Error> = None;
    for (i, step) in plan.steps.iter().enumerate() {
        match step {
            Step::Move { from, to } if failed.is_none() => {
                if let Err(e) = std::fs::rename(from, to) {
                    failed = Some(Error::Install(format!(
                        "moving {} to {}: {e}",
                        from.display(),
                        to.display()
                    )));
                }
                crate::fsutil::failpoint(&format!("handover-move-{i}"));
            }
            Step::RestoreIfMissing { missing, from } => {
                if !missing.exists() && from.exists() {
                    std::fs::rename(from, missing)
                        .context(|| format!("restoring {}", missing.display()))?;
                }
            }
            // The old version is removed by `finish`, after the swap is
            // known to be complete.
            Step::Delete(_) | Step::WaitForExit(_) | Step::Launch(_) | Step::Move { .. } => {}
        }
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::process_alive;
    use std::time::{Duration, Instant};

    #[test]
    fn an_exited_but_unreaped_child_has_ended_and_a_running_one_has_not() {
        let mut running = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("sleep");
        assert!(process_alive(running.id()));
        let mut zombie = std::process::Command::new("true").spawn().expect("true");
        // Not waited for: once it exits it stays a zombie.
        let end = Instant::now() + Duration::from_secs(10);
        while process_alive(zombie.id()) && Instant::now() < end {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!process_alive(zombie.id()), "a zombie counted as running");
        assert!(process_alive(running.id()));
        zombie.wait().expect("reap");
        running.kill().expect("kill");
        running.wait().expect("reap");
        assert!(!process_alive(running.id()));
    }
}
