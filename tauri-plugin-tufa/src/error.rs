//! The plugin's errors, as the front end receives them: a stable `code`
//! to branch on and a `message` to show.

use serde::{Serialize, Serializer};

/// What went wrong in a plugin command.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The update itself failed (offline, verification, patch, install,
    /// cancelled, …); see [`tufa::client::UpdateError::code`].
    #[error(transparent)]
    Update(#[from] tufa::client::UpdateError),
    /// `download` was called while no update is available (the last
    /// `check` found none).
    #[error("there is no update to download: the installed version is the latest")]
    NoUpdate,
    /// `install` was called before an update finished downloading.
    #[error("no update has been downloaded yet: call download first")]
    NotDownloaded,
    /// A download or install is already running.
    #[error("an update is already being downloaded or installed")]
    Busy,
    /// The plugin's configuration (`plugins.tufa` in tauri.conf.json, or
    /// the Rust builder) is incomplete or wrong.
    #[error("tauri-plugin-tufa configuration: {0}")]
    Config(String),
    /// The plugin was built with `Builder::configure_later` and has not
    /// been given its settings yet.
    #[error("updates are not set up yet: no repository to check has been configured")]
    NotConfigured,
    /// The update is installed: the app must restart before checking
    /// again.
    #[error("version {0} is installed and takes effect when the app restarts")]
    RestartPending(String),
}

impl Error {
    /// Stable code for front ends: the engine's codes (`offline`,
    /// `verification_failed`, `cancelled`, …) and the plugin's own
    /// (`no_update`, `not_downloaded`, `busy`, `config`,
    /// `not_configured`, `restart_pending`).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Update(e) => e.code(),
            Error::NoUpdate => "no_update",
            Error::NotDownloaded => "not_downloaded",
            Error::Busy => "busy",
            Error::Config(_) => "config",
            Error::NotConfigured => "not_configured",
            Error::RestartPending(_) => "restart_pending",
        }
    }
}

/// Serialized as `{ code, message }` (the TypeScript `TufaError`).
impl Serialize for Error {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("TufaError", 2)?;
        st.serialize_field("code", self.code())?;
        st.serialize_field("message", &self.to_string())?;
        st.end()
    }
}

/// Result of the plugin's commands.
pub type Result<T> = std::result::Result<T, Error>;
