use std::path::PathBuf;

/// Everything that can go wrong in Tufa's engine, in words a user can act on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("'{input}' is not a valid PEP 440 version: {reason}")]
    InvalidVersion { input: String, reason: String },

    #[error("version {new} is not above the latest release {latest}: versions must increase")]
    VersionNotNewer { new: String, latest: String },

    #[error("app name '{0}' is not allowed: use only letters, digits, '_' and '-'")]
    InvalidAppName(String),

    #[error("bundle directory {0} does not exist")]
    BundleNotFound(PathBuf),

    #[error("bundle directory {0} is empty: nothing to release")]
    EmptyBundle(PathBuf),

    #[error("{path} is a symlink to '{target}', which points outside the bundle; copy the file into the bundle instead")]
    SymlinkEscapesBundle { path: PathBuf, target: PathBuf },

    #[error("{0} is a device file, socket or pipe, which cannot be part of a release")]
    UnsupportedFileType(PathBuf),

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    #[error("{file}: malformed JSON ({source})")]
    MalformedJson {
        file: String,
        #[source]
        source: serde_json::Error,
    },

    #[error("{file}: {reason}")]
    InvalidMetadata { file: String, reason: String },

    #[error("{file} failed verification: {reason}. The repository was changed outside tufa or is damaged; restore it from a backup")]
    VerificationFailed { file: String, reason: String },

    #[error("{what} is larger than allowed ({limit} bytes)")]
    TooLarge { what: String, limit: u64 },

    #[error("patch failed: {0}")]
    Patch(String),

    #[error("result of patching has sha256 {actual}, expected {expected}")]
    TarHashMismatch { expected: String, actual: String },

    #[error("{0}")]
    Tuf(String),

    #[error("{0}")]
    Project(String),

    #[error("key '{name}' for role {role} is not available: {hint}")]
    MissingKey {
        name: String,
        role: String,
        hint: String,
    },

    #[error("key '{name}' could not be read: {reason}")]
    BadKey { name: String, reason: String },

    #[error("another tufa process is changing this repository (lock {0} is held); wait for it to finish")]
    Locked(PathBuf),

    #[error("{0}")]
    NotFound(String),

    #[error("install failed: {0}")]
    Install(String),

    #[error("cancelled")]
    Cancelled,

    #[error("{file} is not a trustworthy root signing request: {reason}. Do not sign it: ask the publisher for a fresh copy")]
    InvalidSigningRequest { file: String, reason: String },

    #[error("this signing request was made for another root than the repository's current one: {reason}; make a new request from the current root")]
    RequestNotForThisRoot { reason: String },

    #[error("the keys at {keys} would be published with the repository {repo}: keep private keys outside the repository folder")]
    KeysInsideRepository { keys: PathBuf, repo: PathBuf },

    #[error("'{value}' is not a key store: use one of {expected}")]
    UnknownKeyStore { value: String, expected: String },

    #[error("no signing request given: choose the request file (and any copies signed elsewhere)")]
    NoSigningRequest,

    #[error("no destination to publish to: give a folder or s3://BUCKET/PREFIX, or save one in the project settings")]
    NoDestination,

    #[error("none of the project's root keys is at hand here, so it cannot sign: sign with a key file or a keyring entry instead")]
    NoRootKeyAtHand,

    #[error("the bundle would publish {path}, which is {what}: a release must never carry it. Keep the project, its keys and its repository outside the bundle folder")]
    SecretInBundle { path: PathBuf, what: String },
}

/// Result type of the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an I/O error with what was being done when it happened.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// A short stable code for front ends and scripts.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidVersion { .. } => "invalid_version",
            Error::VersionNotNewer { .. } => "version_not_newer",
            Error::InvalidAppName(_) => "invalid_app_name",
            Error::BundleNotFound(_) => "bundle_not_found",
            Error::EmptyBundle(_) => "empty_bundle",
            Error::SymlinkEscapesBundle { .. } => "symlink_escapes_bundle",
            Error::UnsupportedFileType(_) => "unsupported_file_type",
            Error::Io { .. } => "io",
            Error::MalformedJson { .. } => "malformed_json",
            Error::InvalidMetadata { .. } => "invalid_metadata",
            Error::VerificationFailed { .. } => "verification_failed",
            Error::TooLarge { .. } => "too_large",
            Error::Patch(_) => "patch_failed",
            Error::TarHashMismatch { .. } => "tar_hash_mismatch",
            Error::Tuf(_) => "tuf",
            Error::Project(_) => "project",
            Error::MissingKey { .. } => "missing_key",
            Error::BadKey { .. } => "bad_key",
            Error::Locked(_) => "locked",
            Error::NotFound(_) => "not_found",
            Error::Install(_) => "install_failed",
            Error::Cancelled => "cancelled",
            Error::InvalidSigningRequest { .. } => "invalid_signing_request",
            Error::RequestNotForThisRoot { .. } => "request_not_for_this_root",
            Error::SecretInBundle { .. } => "secret_in_bundle",
            Error::KeysInsideRepository { .. } => "keys_inside_repository",
            Error::UnknownKeyStore { .. } => "unknown_key_store",
            Error::NoDestination => "no_destination",
            Error::NoSigningRequest => "no_signing_request",
            Error::NoRootKeyAtHand => "no_root_key_at_hand",
        }
    }
}

/// Adds a context message to I/O results.
pub(crate) trait IoContext<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Error::io(what(), e))
    }
}
