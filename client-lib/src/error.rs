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

    #[error("{reason}")]
    KeyringUnavailable { reason: String },

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

    #[error("no credentials for {destination}: save an access key for this destination (it is kept in the OS keyring, never in the project file)")]
    NoCredentials { destination: String },

    #[error("these credentials cannot be used: {reason}")]
    InvalidCredentials { reason: String },

    #[error("{destination} refused the credentials ({reason}): check the access key id and the secret, or save other credentials for it")]
    CredentialsRefused { destination: String, reason: String },

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

    #[error("a metadata version is already {version}, the largest there is: the repository was edited by hand; restore it from a backup")]
    VersionOverflow { version: u64 },

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
    /// Keep keys in files, since no OS keyring answers here.
    UseKeyFiles,
    /// Save (or replace) the S3 credentials of `destination` (they go to
    /// the OS keyring).
    SaveCredentials {
        /// The destination, as shown (`s3://bucket/prefix`).
        destination: String,
    },
    /// Change the destination's address (folder, bucket or endpoint).
    EditDestination,
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
            Remedy::UseKeyFiles => "Keep keys in files".into(),
            Remedy::SaveCredentials { destination } => {
                format!("Save credentials for {destination}")
            }
            Remedy::EditDestination => "Change the destination".into(),
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
            Error::KeyringUnavailable { .. } => Some(Remedy::UseKeyFiles),
            Error::NoCredentials { destination }
            | Error::CredentialsRefused { destination, .. } => Some(Remedy::SaveCredentials {
                destination: destination.clone(),
            }),
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
            Error::KeyringUnavailable { .. } => "keyring_unavailable",
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
            Error::NoCredentials { .. } => "no_credentials",
            Error::InvalidCredentials { .. } => "invalid_credentials",
            Error::CredentialsRefused { .. } => "credentials_refused",
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
            Error::VersionOverflow { .. } => "version_overflow",
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

#[cfg(test)]
mod tests {
    //! Engine messages speak of what happened, never of a front end: no
    //! CLI command, flag or environment variable in any string the engine
    //! source writes (doc comments and tests aside). Front ends word the
    //! [`Remedy`] instead.

    use super::*;

    /// String literals of Rust source `src`, outside comments and outside
    /// items marked `#[cfg(test)]`.
    fn literals(src: &str) -> Vec<String> {
        let b = src.as_bytes();
        let mut out = Vec::new();
        let (mut i, mut depth, mut skip_from) = (0usize, 0usize, None::<usize>);
        let mut pending_skip = false;
        while i < b.len() {
            let rest = &src[i..];
            if rest.starts_with("//") {
                i += rest.find('\n').unwrap_or(rest.len());
            } else if rest.starts_with("/*") {
                i += rest.find("*/").map_or(rest.len(), |n| n + 2);
            } else if rest.starts_with("#[cfg(test)]") {
                pending_skip = true;
                i += "#[cfg(test)]".len();
            } else if b[i] == b'\'' {
                // A char literal ('"', '\'', '{') or a lifetime.
                if let Some(escaped) = rest.strip_prefix("'\\") {
                    i += 2 + escaped.find('\'').map_or(0, |n| n + 1);
                } else if rest.chars().nth(2) == Some('\'') {
                    i += rest[1..].chars().next().map_or(1, |c| 2 + c.len_utf8());
                } else {
                    i += 1;
                }
            } else if b[i] == b'"'
                || ((rest.starts_with("r\"") || rest.starts_with("r#"))
                    && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')))
            {
                let (text, len) = if b[i] == b'r' {
                    let hashes = rest[1..].chars().take_while(|&c| c == '#').count();
                    let open = 2 + hashes;
                    let close = format!("\"{}", "#".repeat(hashes));
                    let end = rest[open..].find(&close).map_or(rest.len(), |n| open + n);
                    (
                        rest[open..end.min(rest.len())].to_string(),
                        end + close.len(),
                    )
                } else {
                    let mut j = 1;
                    while j < rest.len() && rest.as_bytes()[j] != b'"' {
                        j += if rest.as_bytes()[j] == b'\\' { 2 } else { 1 };
                    }
                    (rest[1..j.min(rest.len())].to_string(), j + 1)
                };
                if skip_from.is_none() && !pending_skip {
                    out.push(text);
                }
                i += len;
            } else {
                match b[i] {
                    b'{' => {
                        if pending_skip && skip_from.is_none() {
                            skip_from = Some(depth);
                            pending_skip = false;
                        }
                        depth += 1;
                    }
                    b'}' => {
                        depth = depth.saturating_sub(1);
                        if skip_from == Some(depth) {
                            skip_from = None;
                        }
                    }
                    // `#[cfg(test)] use …;` or `mod tests;`: one item only.
                    b';' if pending_skip && skip_from.is_none() => pending_skip = false,
                    _ => {}
                }
                i += rest.chars().next().map_or(1, char::len_utf8);
            }
        }
        out
    }

    /// Why `text` reads as front-end words, if it does.
    fn front_end_words(text: &str) -> Option<&'static str> {
        const COMMANDS: [&str; 14] = [
            "init", "add", "sign", "discard", "publish", "status", "key", "root", "update",
            "verify", "adopt", "remove", "upload", "--",
        ];
        // The command is `tufa`, lower case; "Tufa" is the product.
        let lower = text.to_ascii_lowercase();
        if text.contains("`tufa") || text.contains("run tufa") {
            return Some("a tufa command");
        }
        for c in COMMANDS {
            if text.contains(&format!("tufa {c}")) {
                return Some("a tufa command");
            }
        }
        // The argument that starts the app's binary as update helper is
        // read by the engine (`client::helper`), not shown to anyone.
        if text == "--tufa-apply-update" {
            return None;
        }
        let bytes = text.as_bytes();
        for (n, w) in bytes.windows(3).enumerate() {
            let starts_word = n == 0 || matches!(bytes[n - 1], b' ' | b'`' | b'(' | b'\'');
            if starts_word && w[0] == b'-' && w[1] == b'-' && w[2].is_ascii_lowercase() {
                return Some("a command-line flag");
            }
        }
        // Test hooks read by the engine are not messages.
        let without_hooks = text
            .replace("TUFA_FAILPOINT", "")
            .replace("TUFA_HANDOVER_RENAMES", "");
        if without_hooks.contains("TUFA_") || lower.contains("environment variable") {
            return Some("an environment variable");
        }
        None
    }

    fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let entries = std::fs::read_dir(dir).expect("the engine's source folder");
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn the_scanner_finds_front_end_words_in_code_only() {
        let src = r##"
            /// Run `tufa sign timestamp` (docs may name commands).
            fn f() -> String {
                // set TUFA_KEY_TARGETS (a comment)
                let _c = '"';
                let _d: &'static str = "fine";
                format!("run `tufa sign {role}` soon")
            }
            #[error("pass --project DIR")]
            struct E;
            const R: &str = r#"set TUFA_PASSPHRASE"#;
            #[cfg(test)]
            mod tests { fn t() { let _ = "run `tufa init`"; } }
            const AFTER: &str = "after the tests";
        "##;
        let found = literals(src);
        assert_eq!(
            found,
            [
                "fine",
                "run `tufa sign {role}` soon",
                "pass --project DIR",
                "set TUFA_PASSPHRASE",
                "after the tests"
            ]
        );
        let flagged: Vec<_> = found.iter().filter_map(|s| front_end_words(s)).collect();
        assert_eq!(
            flagged,
            [
                "a tufa command",
                "a command-line flag",
                "an environment variable"
            ]
        );
        assert_eq!(front_end_words("another tufa process holds the lock"), None);
        assert_eq!(front_end_words("-----BEGIN PRIVATE KEY-----"), None);
    }

    #[test]
    fn no_engine_message_names_a_command_flag_or_environment_variable() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&root, &mut files);
        assert!(files.len() > 20, "{files:?}");
        let mut offending = Vec::new();
        for file in files {
            let src = std::fs::read_to_string(&file).expect("readable source");
            for text in literals(&src) {
                if let Some(why) = front_end_words(&text) {
                    offending.push(format!("{}: {why}: \"{text}\"", file.display()));
                }
            }
        }
        assert!(
            offending.is_empty(),
            "engine messages must name a Remedy, not front-end words:\n{}",
            offending.join("\n")
        );
    }

    #[test]
    fn remedies_are_typed_and_worded_without_commands() {
        let e = Error::StagedChangePending {
            dir: PathBuf::from("p/.tufa/staged"),
        };
        assert_eq!(e.code(), "staged_change_pending");
        assert_eq!(e.remedy(), Some(Remedy::SignStaged));
        let e = Error::NeedPassphrase {
            name: "root-2".into(),
            role: "root".into(),
            origin: "keys/root-2.pem".into(),
        };
        assert_eq!(
            e.remedy(),
            Some(Remedy::ProvidePassphrase {
                key: "root-2".into()
            })
        );
        assert_eq!(Error::NothingStaged.remedy(), None);
        let json = serde_json::to_value(Remedy::RefreshRole {
            role: crate::metadata::TopRole::Timestamp,
        })
        .expect("a remedy serializes");
        assert_eq!(
            json,
            serde_json::json!({"kind": "refresh_role", "role": "timestamp"})
        );
        for r in [Remedy::SignStaged, Remedy::OpenProject, Remedy::Retry] {
            assert_eq!(front_end_words(&r.label()), None, "{r:?}");
        }
    }
}
