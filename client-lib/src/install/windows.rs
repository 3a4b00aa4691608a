//! Finishing an install on Windows, where a running program's files are
//! locked: the app stages the new version, writes a helper script, starts
//! it and exits; the helper waits for the app to exit, swaps the
//! directories (keeping the old one until the new one is in place), and
//! restarts the app. The steps are computed here, OS-independently, so
//! they can be tested anywhere; only running them needs Windows.

use std::path::{Path, PathBuf};

/// One step of the helper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Wait until the process with this id has exited.
    WaitForExit(u32),
    /// Rename a directory (fails if the target exists).
    Move { from: PathBuf, to: PathBuf },
    /// On failure of the previous move, undo: rename back.
    RestoreIfMissing { missing: PathBuf, from: PathBuf },
    /// Delete a directory tree.
    Delete(PathBuf),
    /// Start the app again.
    Launch(PathBuf),
}

/// The helper's steps for one install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwapPlan {
    /// Steps in order.
    pub steps: Vec<Step>,
}

impl SwapPlan {
    /// Plans the swap of `staging` into `install_dir` once process `pid`
    /// exited, then restarts `relaunch` if given.
    pub fn new(pid: u32, staging: &Path, install_dir: &Path, relaunch: Option<&Path>) -> Self {
        let mut old = install_dir.as_os_str().to_os_string();
        old.push(".tufa-old");
        let old = PathBuf::from(old);
        let mut steps = vec![
            Step::WaitForExit(pid),
            Step::Move {
                from: install_dir.to_path_buf(),
                to: old.clone(),
            },
            Step::Move {
                from: staging.to_path_buf(),
                to: install_dir.to_path_buf(),
            },
            Step::RestoreIfMissing {
                missing: install_dir.to_path_buf(),
                from: old.clone(),
            },
            Step::Delete(old),
        ];
        if let Some(exe) = relaunch {
            steps.push(Step::Launch(exe.to_path_buf()));
        }
        SwapPlan { steps }
    }

    /// The plan as a `cmd.exe` batch script.
    pub fn to_batch(&self) -> String {
        let q = |p: &Path| format!("\"{}\"", p.display().to_string().replace('"', ""));
        let mut out = String::from("@echo off\r\nsetlocal\r\n");
        for step in &self.steps {
            let line = match step {
                Step::WaitForExit(pid) => format!(
                    ":wait\r\ntasklist /FI \"PID eq {pid}\" 2>NUL | find \"{pid}\" >NUL && (timeout /t 1 /nobreak >NUL & goto wait)"
                ),
                Step::Move { from, to } => format!("move /Y {} {} >NUL", q(from), q(to)),
                Step::RestoreIfMissing { missing, from } => {
                    format!("if not exist {} move /Y {} {} >NUL", q(missing), q(from), q(missing))
                }
                Step::Delete(p) => format!("if exist {} rmdir /S /Q {}", q(p), q(p)),
                Step::Launch(exe) => format!("start \"\" {}", q(exe)),
            };
            out.push_str(&line);
            out.push_str("\r\n");
        }
        out.push_str("(goto) 2>nul & del \"%~f0\"\r\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_version_is_kept_until_the_new_one_is_in_place() {
        let plan = SwapPlan::new(
            42,
            Path::new("C:/apps/x.tufa-staging"),
            Path::new("C:/apps/x"),
            Some(Path::new("C:/apps/x/x.exe")),
        );
        let moves: Vec<usize> = plan
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s, Step::Move { .. }))
            .map(|(i, _)| i)
            .collect();
        let delete = plan
            .steps
            .iter()
            .position(|s| matches!(s, Step::Delete(_)))
            .unwrap();
        assert_eq!(plan.steps[0], Step::WaitForExit(42));
        assert!(moves.iter().all(|&m| m < delete), "{plan:?}");
        assert_eq!(
            plan.steps[2],
            Step::Move {
                from: "C:/apps/x.tufa-staging".into(),
                to: "C:/apps/x".into()
            }
        );
        assert!(matches!(plan.steps[3], Step::RestoreIfMissing { .. }));
        assert!(matches!(plan.steps.last(), Some(Step::Launch(_))));
    }

    #[test]
    fn batch_script_quotes_paths_and_waits() {
        let plan = SwapPlan::new(
            7,
            Path::new("C:/My Apps/x.tufa-staging"),
            Path::new("C:/My Apps/x"),
            None,
        );
        let bat = plan.to_batch();
        assert!(bat.contains("PID eq 7"));
        assert!(bat.contains("move /Y \"C:/My Apps/x\" \"C:/My Apps/x.tufa-old\""));
        assert!(bat.contains("rmdir /S /Q \"C:/My Apps/x.tufa-old\""));
        assert!(!bat.contains("start"));
    }
}
