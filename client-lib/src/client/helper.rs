//! Applying an update when the app exits, and restarting it: the app's
//! own binary, re-executed in helper mode, swaps the staged version in
//! after the app's process ended (see `docs/design.md`, *Apply on exit*).
//!
//! The app calls [`run_if_helper`] first thing in `main`; then, to update,
//! [`Updater::stage`] (extract the new version beside the install dir,
//! nothing of the running one touched) and [`Updater::apply_on_exit`]
//! (start the helper, which waits for this process to end), and exits.
//!
//! ```no_run
//! # async fn run(updater: tufa::client::Updater) -> Result<(), tufa::client::UpdateError> {
//! // First thing in `main` (never returns in helper mode):
//! tufa::client::helper::run_if_helper();
//! // … the app; once an update is found:
//! if let Some(plan) = updater.check().await? {
//!     let downloaded = updater.download(&plan, &mut |_| {}).await?;
//!     let applied = updater.apply(downloaded).await?;
//!     updater.stage(&applied)?;
//!     let exe = std::env::current_exe().expect("own path");
//!     updater.apply_on_exit(std::process::id(), Some((exe, vec![])))?;
//!     std::process::exit(0); // the helper swaps, then restarts the app
//! }
//! # Ok(()) }
//! ```

use super::{Applied, UpdateError, Updater};
use crate::error::IoContext;
use crate::install::handover::{self, Restart, Staged};
use crate::Error;
use std::path::{Path, PathBuf};

/// The argument that puts the app's binary in helper mode.
pub const HELPER_ARG: &str = "--tufa-apply-update";

/// If this process was started as the update helper (`<exe>
/// --tufa-apply-update <plan file>`), runs the hand-over and exits
/// (status 0 on success, 1 on failure, the error on stderr, which
/// [`Updater::apply_on_exit`] sends to `<install>.tufa-handover.log`).
/// Otherwise returns at once. Call it first thing in `main`, before
/// anything opens windows, locks files or parses arguments.
///
/// ```no_run
/// // The first line of the app's `main`:
/// tufa::client::helper::run_if_helper();
/// println!("the app runs");
/// ```
pub fn run_if_helper() {
    let mut args = std::env::args_os().skip(1);
    if args.next().as_deref() != Some(std::ffi::OsStr::new(HELPER_ARG)) {
        return;
    }
    let Some(plan) = args.next() else {
        eprintln!("tufa helper: {HELPER_ARG} needs the plan file");
        std::process::exit(2);
    };
    match handover::execute(Path::new(&plan)) {
        Ok(()) => std::process::exit(0),
        Err(e) => {
            eprintln!("tufa helper: the update was not applied: {e}");
            std::process::exit(1);
        }
    }
}

/// Starts `helper_exe` in helper mode on the plan at `plan_path`, its
/// output appended to `log`, in its own process group so that the app's
/// exit (or a Ctrl-C in its terminal) does not take it along.
pub fn spawn_helper(
    helper_exe: &Path,
    plan_path: &Path,
    log: &Path,
) -> Result<std::process::Child, Error> {
    let mut open = std::fs::OpenOptions::new();
    open.create(true).append(true);
    // A link planted at the log's name must not make the helper append
    // to another file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        open.custom_flags(libc::O_NOFOLLOW);
    }
    let out = open
        .open(log)
        .context(|| format!("opening {}", log.display()))?;
    let err = out
        .try_clone()
        .context(|| format!("opening {}", log.display()))?;
    let mut cmd = std::process::Command::new(helper_exe);
    cmd.arg(HELPER_ARG)
        .arg(plan_path)
        .stdin(std::process::Stdio::null())
        .stdout(out)
        .stderr(err);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    cmd.spawn()
        .context(|| format!("starting the update helper {}", helper_exe.display()))
}

/// The executable to run as helper: this one. On Windows a copy beside
/// the install dir, since a program running from the install dir would
/// keep it from being moved.
fn helper_executable(install_dir: &Path) -> Result<PathBuf, Error> {
    let exe = std::env::current_exe().context(|| "finding the app's executable".to_string())?;
    if cfg!(windows) {
        let name = install_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let copy = install_dir.with_file_name(format!("{name}.tufa-helper.exe"));
        std::fs::copy(&exe, &copy)
            .context(|| format!("copying the helper to {}", copy.display()))?;
        return Ok(copy);
    }
    Ok(exe)
}

impl Updater {
    /// Prepares `applied` beside the install dir (`<install>.tufa-next`,
    /// extracted from the verified tar and flushed) without touching the
    /// running version; replaces a version staged before. Blocking work:
    /// async code calls it through `tokio::task::spawn_blocking`. Then
    /// [`apply_on_exit`](Self::apply_on_exit) hands it over. The
    /// builder's install options apply (purge, exclude; a custom
    /// installer is refused: it cannot run in the helper).
    ///
    /// ```no_run
    /// # fn run(updater: &tufa::client::Updater, applied: &tufa::client::Applied) -> Result<(), tufa::client::UpdateError> {
    /// let staged = updater.stage(applied)?;
    /// println!("{} staged in {}", staged.version, staged.dir.display());
    /// # Ok(()) }
    /// ```
    pub fn stage(&self, applied: &Applied) -> Result<Staged, UpdateError> {
        self.cancel.check()?;
        let cancel = self.cancel.clone();
        let staged = handover::stage_tar_reusing(
            &applied.tar_path,
            &applied.version.to_string(),
            &self.install_dir,
            &self.install_options,
            Some(&self.reuse_context(applied)),
            &mut |_| {
                if cancel.is_cancelled() {
                    Err(std::io::Error::other("cancelled"))
                } else {
                    Ok(())
                }
            },
        );
        match staged {
            Ok(s) => Ok(s),
            Err(_) if self.cancel.is_cancelled() => Err(Error::Cancelled.into()),
            Err(e) => Err(UpdateError::InstallFailed(e.to_string())),
        }
    }

    /// The version staged by [`stage`](Self::stage), if any.
    ///
    /// ```no_run
    /// # fn run(updater: &tufa::client::Updater) -> Result<(), tufa::client::UpdateError> {
    /// if let Some(staged) = updater.staged()? {
    ///     println!("{} will be installed when the app exits", staged.version);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn staged(&self) -> Result<Option<Staged>, UpdateError> {
        Ok(handover::staged(&self.install_dir)?)
    }

    /// Hands the staged version over to a helper process (this app's
    /// binary in helper mode, see [`run_if_helper`]) that waits for
    /// process `wait_for_pid` (normally `std::process::id()`) to exit,
    /// swaps the staged version into the install dir, and starts
    /// `restart` (program and arguments) if given. The app then exits on
    /// its own. The plan is written atomically beside the install dir
    /// first; a crash of the helper at any step leaves the old or the new
    /// version, and the next [`check`](Self::check) finishes or rolls
    /// back.
    ///
    /// ```no_run
    /// # fn run(updater: &tufa::client::Updater) -> Result<(), tufa::client::UpdateError> {
    /// let exe = std::env::current_exe().expect("own path");
    /// updater.apply_on_exit(std::process::id(), Some((exe, vec!["--updated".into()])))?;
    /// # Ok(()) }
    /// ```
    pub fn apply_on_exit(
        &self,
        wait_for_pid: u32,
        restart: Option<(PathBuf, Vec<String>)>,
    ) -> Result<(), UpdateError> {
        let helper = helper_executable(&self.install_dir)?;
        apply_on_exit_with(&helper, &self.install_dir, wait_for_pid, restart)?;
        Ok(())
    }
}

/// [`Updater::apply_on_exit`] for an install dir and a helper executable
/// given explicitly (an app with its own layout, or a test). Returns the
/// helper's process.
pub fn apply_on_exit_with(
    helper_exe: &Path,
    install_dir: &Path,
    wait_for_pid: u32,
    restart: Option<(PathBuf, Vec<String>)>,
) -> Result<std::process::Child, Error> {
    if handover::recover(install_dir)? == handover::Recovered::InProgress {
        return Err(Error::Install("a hand-over is already under way".into()));
    }
    let restart = restart.map(|(program, args)| Restart { program, args });
    let (mut plan, path) = handover::write_plan(install_dir, wait_for_pid, restart)?;
    let child = match spawn_helper(helper_exe, &path, &handover::log_path(install_dir)?) {
        Ok(c) => c,
        Err(e) => {
            // Nothing started: no hand-over is pending.
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
    };
    // The helper only reads the plan's other fields; its pid tells a
    // later `recover` to leave the hand-over alone while it runs.
    plan.helper_pid = Some(child.id());
    handover::save_plan(&path, &plan)?;
    tracing::info!(
        version = %plan.staged.version,
        helper_pid = child.id(),
        wait_for_pid,
        plan = %path.display(),
        "update helper started, the update applies when the app exits"
    );
    Ok(child)
}
