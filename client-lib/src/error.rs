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

    #[error("result of patching has sha256 {actual}, expected {expected}")]
    TarHashMismatch { expected: String, actual: String },

    // --- Projects and their settings ---------------------------------------
    #[error("{dir} holds no Tufa project (no {file} there)")]
    NoProject { dir: PathBuf, file: &'static str },

    #[error("{path} is not a valid project file: {reason}")]
    InvalidProjectFile { path: PathBuf, reason: String },

    #[error("setting {field}: {reason}")]
    InvalidSetting { field: String, reason: String },

    #[error("{path} already exists: this folder already holds a project")]
    ProjectExists { path: PathBuf },

    #[error("{path} already holds metadata; refusing to overwrite a repository")]
    RepositoryExists { path: PathBuf },

    #[error("{path} holds no {missing}: it is not a TUF repository (is the project's repository folder right?)")]
    NoRepository { path: PathBuf, missing: String },

    #[error("unknown role '{input}': use root, targets, snapshot or timestamp")]
    UnknownRole { input: String },

    #[error("unknown channel '{input}': use stable, rc, b or a")]
    UnknownChannel { input: String },

    // --- Keys and thresholds -----------------------------------------------
    #[error("the project has no key named '{name}'")]
    NoSuchKey { name: String },

    #[error("a key named '{name}' exists already")]
    KeyExists { name: String },

    #[error("{path} already exists; refusing to overwrite a key")]
    KeyFileExists { path: PathBuf },

    #[error("key '{name}' for role {role} is encrypted and no passphrase was given ({origin})")]
    NeedPassphrase {
        name: String,
        role: String,
        origin: String,
    },

    #[error("a threshold of {threshold} for {role} is impossible with {keys} key(s): add keys or lower the threshold first")]
    ThresholdImpossible {
        role: String,
        threshold: u64,
        keys: u64,
    },

    #[error("{role} would have no key left: add another key first")]
    LastKey { role: String },

    #[error("{role} needs {need} signature(s) but the project's {role} keys are not the ones root trusts")]
    KeysNotTrusted { role: String, need: u64 },

    // --- Staged changes ----------------------------------------------------
    #[error("nothing is staged: there is nothing to publish")]
    NothingStaged,

    #[error("a change is staged and waiting for signatures ({dir}): sign it or discard it first")]
    StagedChangePending { dir: PathBuf },

    #[error("the staged {role} change in {dir} was made against an older repository state: discard it and make the change again")]
    StaleStaging { role: String, dir: PathBuf },

    #[error("the staging area holds an unexpected file {path}: discard the staged change")]
    DamagedStaging { path: PathBuf },

    #[error("a {role} change is staged: it is signed as it was staged, a new expiry cannot be set on it; sign it as it is, or discard it")]
    ExpiryOnStagedChange { role: String },

    // --- Root ceremony and adoption ----------------------------------------
    #[error("the request cannot be published yet: {status}")]
    RequestNotReady { status: String },

    #[error("the requests propose different changes (or one was altered): only copies of one request can be merged")]
    RequestsDiffer,

    #[error("cannot adopt: {reason}")]
    CannotAdopt { reason: String },

    // --- Releases and bundles ----------------------------------------------
    #[error("bundle {path}: {reason}")]
    BadBundle { path: PathBuf, reason: String },

    #[error("release metadata: {reason}")]
    InvalidReleaseMetadata { reason: String },

    #[error(
        "a quick estimate needs a bundle folder, and {path} is not one; make the full plan instead"
    )]
    EstimateNeedsFolder { path: PathBuf },

    #[error("{app} has no releases to remove")]
    NoReleases { app: String },

    #[error("{releases} release(s), {keep} to keep: nothing to remove")]
    NothingToRemove { releases: usize, keep: usize },

    #[error("the new patch does not rebuild the tar (sha256 {rebuilt}, expected {expected}); this is a bug in Tufa, please report it, and publish without a patch meanwhile")]
    PatchDoesNotRebuild { rebuilt: String, expected: String },

    // --- Patches and archives ----------------------------------------------
    #[error("the patch is corrupt: {reason}")]
    CorruptPatch { reason: String },

    #[error("creating the patch failed: {reason}")]
    PatchCreation { reason: String },

    #[error("not a plain tar: {reason}")]
    NotPlainTar { reason: String },

    #[error("{path} is damaged: {reason}")]
    DamagedCache { path: PathBuf, reason: String },

    // --- Publishing destinations -------------------------------------------
    #[error("'{input}': {reason}")]
    InvalidDestination { input: String, reason: String },

    #[error("object storage: {reason}")]
    Storage { reason: String },

    // --- Encodings and cryptography ----------------------------------------
    #[error("'{name}' is not a valid target name: {reason}")]
    InvalidTargetName { name: String, reason: String },

    #[error("cannot encode {what}: {reason}")]
    Encoding { what: String, reason: String },

    #[error("{0}")]
    Crypto(String),

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

/// What the user can do about an error or a warning. The engine names the
/// action; each front end words it its own way (the CLI as a command, the
/// app as a button), so engine messages never name a command or a flag.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Remedy {
    /// Re-sign `role` so that its expiry moves forward.
    RefreshRole {
        /// The role to re-sign.
        role: crate::metadata::TopRole,
    },
    /// Sign the staged change (with the keys it still needs).
    SignStaged,
    /// Throw the staged change away.
    DiscardStaged,
    /// Open the folder of an existing project.
    OpenProject,
    /// Create a new project.
    InitProject,
    /// Make key `name` available (a key file, a keyring entry, or the key
    /// text given to the engine's key provider).
    ProvideKey {
        /// Key name in the project.
        name: String,
    },
    /// Give the passphrase of the encrypted key `key`.
    ProvidePassphrase {
        /// Key name in the project (or the key file's name).
        key: String,
    },
    /// Publish the release without a patch (clients download it whole).
    SkipPatch,
    /// Make a new root signing request from the repository's current root.
    NewSigningRequest,
    /// Wait for the other process to finish, then try again.
    Retry,
}

impl Remedy {
    /// The action in plain words, for a button or a hint (no command or
    /// flag: a front end that has commands words them itself).
    pub fn label(&self) -> String {
        match self {
            Remedy::RefreshRole { role } => format!("Re-sign {role}"),
            Remedy::SignStaged => "Sign the staged change".into(),
            Remedy::DiscardStaged => "Discard the staged change".into(),
            Remedy::OpenProject => "Open a project folder".into(),
            Remedy::InitProject => "Create a project".into(),
            Remedy::ProvideKey { name } => format!("Provide key '{name}'"),
            Remedy::ProvidePassphrase { key } => format!("Enter the passphrase of key '{key}'"),
            Remedy::SkipPatch => "Publish without a patch".into(),
            Remedy::NewSigningRequest => "Make a new signing request".into(),
            Remedy::Retry => "Try again".into(),
        }
    }
}

impl std::fmt::Display for Remedy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label())
    }
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

    /// What the user can do about it, when the engine knows an action.
    /// Front ends word it (see [`Remedy`]).
    pub fn remedy(&self) -> Option<Remedy> {
        match self {
            Error::NoProject { .. } => Some(Remedy::OpenProject),
            Error::MissingKey { name, .. } => Some(Remedy::ProvideKey { name: name.clone() }),
            Error::NeedPassphrase { name, .. } => {
                Some(Remedy::ProvidePassphrase { key: name.clone() })
            }
            Error::StagedChangePending { .. } | Error::ExpiryOnStagedChange { .. } => {
                Some(Remedy::SignStaged)
            }
            Error::StaleStaging { .. } | Error::DamagedStaging { .. } => {
                Some(Remedy::DiscardStaged)
            }
            Error::PatchDoesNotRebuild { .. } => Some(Remedy::SkipPatch),
            Error::RequestNotForThisRoot { .. } => Some(Remedy::NewSigningRequest),
            Error::Locked(_) => Some(Remedy::Retry),
            _ => None,
        }
    }

    /// A value could not be encoded or decoded (JSON, TOML, hex): `what`
    /// names the value.
    pub(crate) fn encoding(what: impl Into<String>, e: impl std::fmt::Display) -> Self {
        Error::Encoding {
            what: what.into(),
            reason: e.to_string(),
        }
    }

    /// A patch that cannot be applied.
    pub(crate) fn corrupt_patch(reason: impl Into<String>) -> Self {
        Error::CorruptPatch {
            reason: reason.into(),
        }
    }

    /// Making a patch failed.
    #[cfg(feature = "publisher")]
    pub(crate) fn patch_creation(reason: impl Into<String>) -> Self {
        Error::PatchCreation {
            reason: reason.into(),
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
            Error::TarHashMismatch { .. } => "tar_hash_mismatch",
            Error::NoProject { .. } => "no_project",
            Error::InvalidProjectFile { .. } => "invalid_project_file",
            Error::InvalidSetting { .. } => "invalid_setting",
            Error::ProjectExists { .. } => "project_exists",
            Error::RepositoryExists { .. } => "repository_exists",
            Error::NoRepository { .. } => "no_repository",
            Error::UnknownRole { .. } => "unknown_role",
            Error::UnknownChannel { .. } => "unknown_channel",
            Error::NoSuchKey { .. } => "no_such_key",
            Error::KeyExists { .. } => "key_exists",
            Error::KeyFileExists { .. } => "key_file_exists",
            Error::NeedPassphrase { .. } => "need_passphrase",
            Error::ThresholdImpossible { .. } => "threshold_impossible",
            Error::LastKey { .. } => "last_key",
            Error::KeysNotTrusted { .. } => "keys_not_trusted",
            Error::NothingStaged => "nothing_staged",
            Error::StagedChangePending { .. } => "staged_change_pending",
            Error::StaleStaging { .. } => "stale_staging",
            Error::DamagedStaging { .. } => "damaged_staging",
            Error::ExpiryOnStagedChange { .. } => "expiry_on_staged_change",
            Error::RequestNotReady { .. } => "request_not_ready",
            Error::RequestsDiffer => "requests_differ",
            Error::CannotAdopt { .. } => "cannot_adopt",
            Error::BadBundle { .. } => "bad_bundle",
            Error::InvalidReleaseMetadata { .. } => "invalid_release_metadata",
            Error::EstimateNeedsFolder { .. } => "estimate_needs_folder",
            Error::NoReleases { .. } => "no_releases",
            Error::NothingToRemove { .. } => "nothing_to_remove",
            Error::PatchDoesNotRebuild { .. } => "patch_does_not_rebuild",
            Error::CorruptPatch { .. } => "corrupt_patch",
            Error::PatchCreation { .. } => "patch_failed",
            Error::NotPlainTar { .. } => "not_plain_tar",
            Error::DamagedCache { .. } => "damaged_cache",
            Error::InvalidDestination { .. } => "invalid_destination",
            Error::Storage { .. } => "object_storage",
            Error::InvalidTargetName { .. } => "invalid_target_name",
            Error::Encoding { .. } => "encoding",
            Error::Crypto(_) => "crypto",
            Error::MissingKey { .. } => "missing_key",
            Error::BadKey { .. } => "bad_key",
            Error::Locked(_) => "locked",
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
