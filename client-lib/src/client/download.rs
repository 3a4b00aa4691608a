//! Downloading a plan's files: streamed to `.part` files, verified as
//! they come, renamed only once complete; a failing patch falls back to
//! the full archive; cancellation stops between two chunks.

use super::progress::{self, UpdatePhase};
use super::{
    transport, DownloadProgress, Downloaded, Method, PlannedFile, UpdateError, UpdatePlan, Updater,
};
use crate::error::IoContext;
use crate::Error;
use futures_util::StreamExt;
use std::io::Write;
use std::path::PathBuf;
use tough::TargetName;

impl Updater {
    /// Downloads the plan's files into the cache, each verified (length
    /// and hashes) while streaming. If a patch fails to download or
    /// verify, the full archive is fetched instead. Progress events
    /// (phase [`UpdatePhase::Downloading`]) count over all files of the
    /// plan, with speed and time left.
    ///
    /// ```no_run
    /// # async fn run(updater: tufa::client::Updater, plan: tufa::client::UpdatePlan) -> Result<(), tufa::client::UpdateError> {
    /// let downloaded = updater
    ///     .download(&plan, &mut |p| {
    ///         let left = p.eta.map(|t| t.as_secs()).unwrap_or(0);
    ///         eprint!("\r{}: {}/{} bytes, {left} s left", p.file, p.done, p.total)
    ///     })
    ///     .await?;
    /// if let Some(why) = &downloaded.fell_back {
    ///     eprintln!("patch unusable ({why}): downloaded the full archive");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn download(
        &self,
        plan: &UpdatePlan,
        progress: &mut (dyn FnMut(DownloadProgress) + Send),
    ) -> Result<Downloaded, UpdateError> {
        let mut fetched = Vec::new();
        let mut paths = Vec::new();
        let mut done = 0;
        let mut fell_back = None;
        let mut meter = progress::Meter::new(UpdatePhase::Downloading, plan.total_bytes);
        for f in &plan.files {
            match self.fetch(plan, f, &mut done, &mut meter, progress).await {
                Ok(p) => {
                    paths.push(p);
                    fetched.push(f.clone());
                }
                // Stopping is not a reason to download something else.
                Err(e) if e.is_cancelled() => return Err(e),
                Err(e) if plan.method == Method::Patch => {
                    let why = format!("{}: {e}", f.name);
                    // Only a patch that did not verify is the chain's
                    // fault; an outage, a slow server or a full disk is
                    // not, and the next update tries the chain again.
                    let blame = matches!(e, UpdateError::Verification(_));
                    tracing::warn!(
                        file = %f.name,
                        patch_at_fault = blame,
                        "patch download failed, falling back to the full archive: {}",
                        transport::redact_urls(&e.to_string())
                    );
                    let archive = self
                        .fall_back_to_archive(plan, &why, blame, progress)
                        .await?;
                    fetched.push(plan.full_archive.clone());
                    paths = vec![archive];
                    fell_back = Some(why);
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(Downloaded {
            plan: plan.clone(),
            files: paths,
            fetched,
            fell_back,
        })
    }

    /// A patch of the chain could not be used (`why`): fetch the full
    /// archive instead. When the patch itself is to `blame` (it did not
    /// verify or apply), the chain is never tried again; otherwise the
    /// archive's own error is returned as is (e.g. `Offline`: the patch
    /// did not fail, the network did).
    pub(super) async fn fall_back_to_archive(
        &self,
        plan: &UpdatePlan,
        why: &str,
        blame: bool,
        progress: &mut (dyn FnMut(DownloadProgress) + Send),
    ) -> Result<PathBuf, UpdateError> {
        if blame {
            let names: Vec<String> = plan.files.iter().map(|f| f.name.clone()).collect();
            self.mark_failed(&names)?;
        }
        let mut done = 0;
        let mut meter = progress::Meter::new(UpdatePhase::Downloading, plan.full_archive.size);
        self.fetch(plan, &plan.full_archive, &mut done, &mut meter, progress)
            .await
            .map_err(|full| {
                if full.is_cancelled() {
                    full
                } else if blame {
                    UpdateError::PatchFailed {
                        patch: why.to_string(),
                        full: full.to_string(),
                    }
                } else {
                    full
                }
            })
    }

    pub(super) async fn fetch(
        &self,
        plan: &UpdatePlan,
        file: &PlannedFile,
        done: &mut u64,
        meter: &mut progress::Meter,
        progress: &mut (dyn FnMut(DownloadProgress) + Send),
    ) -> Result<PathBuf, UpdateError> {
        self.cancel.check()?;
        let name = TargetName::new(file.name.as_str())
            .map_err(|e| UpdateError::Verification(e.to_string()))?;
        let mut stream = plan.repo.read_target(name.raw()).await?.ok_or_else(|| {
            UpdateError::Verification(format!("{} is not in targets.json", file.name))
        })?;
        let final_path = self.downloads_dir().join(&file.name);
        let part = self.downloads_dir().join(format!("{}.part", file.name));
        tracing::info!(file = %file.name, size = file.size, "downloading");
        let mut out =
            std::fs::File::create(&part).context(|| format!("creating {}", part.display()))?;
        // Bytes reach the disk only as a .part file; the stream checks the
        // length as they come and the hashes at the end, and only then is
        // the file renamed to its name.
        let stop = self.cancel.cancelled();
        tokio::pin!(stop);
        let result: Result<(), UpdateError> = async {
            loop {
                let next = tokio::select! {
                    biased;
                    _ = &mut stop => return Err(Error::Cancelled.into()),
                    next = stream.next() => next,
                };
                let Some(chunk) = next else { break };
                let chunk = chunk?;
                out.write_all(&chunk)
                    .context(|| format!("writing {}", part.display()))?;
                *done += chunk.len() as u64;
                progress(meter.event(&file.name, *done));
            }
            out.sync_all()
                .context(|| format!("writing {}", part.display()))?;
            Ok(())
        }
        .await;
        if let Err(e) = result {
            let _ = std::fs::remove_file(&part);
            tracing::warn!(
                file = %file.name,
                "download failed: {}",
                transport::redact_urls(&e.to_string())
            );
            return Err(e);
        }
        std::fs::rename(&part, &final_path)
            .context(|| format!("moving {}", final_path.display()))?;
        tracing::debug!(file = %file.name, "downloaded and verified");
        Ok(final_path)
    }
}
