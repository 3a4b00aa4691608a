//! What went wrong during an update ([`UpdateError`]), in terms an app
//! can act on, and the error-chain helpers the other parts map with.

use crate::Error;

/// What went wrong during an update, in terms an app can act on.
///
/// ```no_run
/// # async fn run(updater: tufa::client::Updater) {
/// use tufa::client::UpdateError;
/// match updater.update(&mut |_| {}).await {
///     Ok(_) => {}
///     Err(e) if e.is_cancelled() => {} // the user stopped it
///     Err(UpdateError::Offline(_)) => eprintln!("no connection; trying again later"),
///     Err(e) => eprintln!("update failed ({}): {e}", e.code()),
/// }
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpdateError {
    /// The update server could not be reached (retry later).
    #[error("update server unreachable: {0}")]
    Offline(String),
    /// The server sent too slowly: a metadata file took longer than
    /// `HttpOptions::metadata_timeout`, or a download fell below
    /// `HttpOptions::min_speed`. A stalling server (TUF's slow-retrieval
    /// attack) or a link too poor to finish; nothing was installed.
    #[error("slow retrieval: {0}; nothing was installed")]
    SlowRetrieval(String),
    /// Signed metadata has expired: the publisher must re-sign, or an
    /// attacker is replaying old metadata. Nothing was installed.
    #[error("update metadata has expired ({role} expired {expired}); nothing was installed")]
    MetadataExpired { role: String, expired: String },
    /// Metadata or a file did not verify (signatures, versions, hashes,
    /// lengths). Nothing was installed.
    #[error("verification failed: {0}; nothing was installed")]
    Verification(String),
    /// A patch failed and so did the full archive it fell back to.
    #[error("patch failed ({patch}) and the fallback to the full archive failed too: {full}")]
    PatchFailed { patch: String, full: String },
    /// Installing failed; the previous version is in place.
    #[error("install failed, the previous version is still installed: {0}")]
    InstallFailed(String),
    /// The updater is set up wrongly (paths, URLs, trusted root).
    #[error("updater configuration: {0}")]
    Config(String),
    /// Anything else from the engine.
    #[error(transparent)]
    Engine(#[from] Error),
}

impl UpdateError {
    /// What the user can do about it, when known (see [`crate::Remedy`]).
    pub fn remedy(&self) -> Option<crate::Remedy> {
        match self {
            UpdateError::Offline(_) | UpdateError::SlowRetrieval(_) => Some(crate::Remedy::Retry),
            UpdateError::Engine(e) => e.remedy(),
            _ => None,
        }
    }

    /// Whether the update stopped because the app cancelled it (see
    /// [`Cancel`](super::Cancel)); nothing half-written was left behind.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, UpdateError::Engine(Error::Cancelled))
    }

    /// Stable code for scripts and front ends.
    pub fn code(&self) -> &'static str {
        match self {
            UpdateError::Offline(_) => "offline",
            UpdateError::SlowRetrieval(_) => "slow_retrieval",
            UpdateError::MetadataExpired { .. } => "metadata_expired",
            UpdateError::Verification(_) => "verification_failed",
            UpdateError::PatchFailed { .. } => "patch_failed",
            UpdateError::InstallFailed(_) => "install_failed",
            UpdateError::Config(_) => "config",
            UpdateError::Engine(e) => e.code(),
        }
    }
}

/// The first error of type `E` in `e`'s chain of sources.
pub(crate) fn find_in_chain<'a, E: std::error::Error + 'static>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a E> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(found) = err.downcast_ref::<E>() {
            return Some(found);
        }
        cur = err.source();
    }
    None
}

pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}
