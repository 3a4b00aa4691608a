//! Upload destinations beyond their address (which lives in `[publish]` of
//! tufa.toml): the S3 credentials of a destination, kept in the OS keyring
//! and never in the project file, and "Test connection".
//!
//! Credentials for an S3 destination are looked up in this order:
//! 1. the environment the upload runs in (an access key pair, or a role
//!    the environment names: web identity, container or pod credentials),
//!    which is how CI pipelines give them;
//! 2. the OS keyring entry saved for the destination: service `tufa`,
//!    entry `s3:<bucket>@<endpoint>` (`@aws` for AWS itself). It is keyed
//!    by endpoint and bucket, not by project: the credentials belong to the
//!    bucket, so two projects publishing to one bucket share them;
//! 3. nothing: the upload stops with [`Error::NoCredentials`], whose remedy
//!    is to save credentials for the destination. The AWS SDK would instead
//!    ask the EC2 instance-metadata service (169.254.169.254), which on a
//!    desktop waits and then fails with a message no publisher can act on.
//!    Only an environment that explicitly names a metadata endpoint opts
//!    into instance credentials.

use super::upload::{Destination, S3Options, Target};
use crate::publisher::keys::{self, KeyError, Secret};
use crate::{Error, Remedy, Result};
use object_store::aws::{AmazonS3, AmazonS3Builder, AmazonS3ConfigKey};
use object_store::path::Path as ObjectPath;
use object_store::{ClientConfigKey, ObjectStore, ObjectStoreExt, PutPayload};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// An S3 access key pair, as a person saves it for a destination.
pub struct S3Credentials {
    /// Access key id (an identifier, shown masked).
    pub access_key_id: String,
    /// Secret access key: zeroed on drop, never printed.
    pub secret_access_key: Secret,
}

impl std::fmt::Debug for S3Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Credentials")
            .field("access_key_id", &mask(&self.access_key_id))
            .field("secret_access_key", &self.secret_access_key)
            .finish()
    }
}

impl S3Credentials {
    /// A key pair from what a person typed (surrounding blanks removed).
    pub fn new(access_key_id: &str, secret_access_key: Secret) -> Result<Self> {
        let id = access_key_id.trim();
        let secret = String::from_utf8(secret_access_key.as_bytes().to_vec()).map_err(|_| {
            Error::InvalidCredentials {
                reason: "the secret access key is not text".into(),
            }
        })?;
        let secret = secret.trim();
        if id.is_empty() {
            return Err(Error::InvalidCredentials {
                reason: "the access key id is empty".into(),
            });
        }
        if secret.is_empty() {
            return Err(Error::InvalidCredentials {
                reason: "the secret access key is empty".into(),
            });
        }
        // A line break or a space inside is a paste gone wrong, not a key.
        if id.chars().chain(secret.chars()).any(char::is_whitespace) {
            return Err(Error::InvalidCredentials {
                reason: "a key contains blanks or line breaks; paste each key alone".into(),
            });
        }
        Ok(S3Credentials {
            access_key_id: id.to_string(),
            secret_access_key: Secret::new(secret.as_bytes().to_vec()),
        })
    }

    fn secret_str(&self) -> Result<String> {
        String::from_utf8(self.secret_access_key.as_bytes().to_vec()).map_err(|_| {
            Error::InvalidCredentials {
                reason: "the saved secret access key is not text".into(),
            }
        })
    }
}

/// Where an S3 destination's credentials come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CredentialSource {
    /// The environment the program runs in (CI).
    Environment,
    /// The entry saved in the OS keyring for this destination.
    Keyring,
    /// None: an upload would stop and ask for them.
    Missing,
    /// A folder needs none.
    NotNeeded,
}

/// A destination's credentials as a front end shows them (never the
/// secret).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CredentialStatus {
    /// The destination, as shown (`s3://bucket/prefix` or a folder).
    pub destination: String,
    /// The S3 endpoint (empty: AWS).
    pub endpoint: Option<String>,
    /// What an upload would use now.
    pub source: CredentialSource,
    /// Whether the OS keyring holds credentials for this destination (even
    /// when the environment's take precedence).
    pub saved: bool,
    /// The access key id in use, masked to its last four characters.
    pub access_key_id: Option<String>,
    /// The keyring entry's name (service `tufa`), for people who look in
    /// their keyring app.
    pub keyring_entry: Option<String>,
    /// Why the keyring could not be read, when it could not.
    pub keyring_problem: Option<String>,
}

/// What "Test connection" found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConnectionOutcome {
    /// Reachable and writable: a probe was written and removed.
    Ok,
    /// No credentials for this S3 destination.
    NoCredentials,
    /// The server does not know the access key, or the secret is wrong.
    WrongCredentials {
        /// The server's answer.
        reason: String,
    },
    /// The credentials are valid but may not list, write or delete there.
    AccessDenied {
        /// What was refused, with the server's answer.
        reason: String,
    },
    /// The bucket does not exist on that server.
    NoSuchBucket {
        /// The bucket.
        bucket: String,
    },
    /// The server could not be reached (address, network, firewall).
    Unreachable {
        /// The network error.
        reason: String,
    },
    /// The path (or a parent of it) is a file, not a folder.
    NotAFolder {
        /// The path that is not a folder.
        path: String,
    },
    /// The folder (or the parent it would be created in) is not writable.
    NotWritable {
        /// The operating system's answer.
        reason: String,
    },
    /// Anything else the server or the disk answered.
    Failed {
        /// The answer.
        reason: String,
    },
}

/// The result of "Test connection", ready to show.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConnectionTest {
    /// The destination, as shown.
    pub destination: String,
    /// Whether uploads can go there.
    pub ok: bool,
    /// What was found.
    pub outcome: ConnectionOutcome,
    /// The result in words, a sentence for people.
    pub summary: String,
    /// What would help, when something can.
    pub remedy: Option<Remedy>,
    /// Where the credentials came from (S3).
    pub credentials: CredentialSource,
    /// How long the test took, in milliseconds.
    pub millis: u64,
}

/// The keyring entry ("user", service `tufa`) of an S3 destination.
pub fn credentials_entry(bucket: &str, endpoint: Option<&str>) -> String {
    match normalized_endpoint(endpoint) {
        Some(ep) => format!("s3:{bucket}@{ep}"),
        None => format!("s3:{bucket}@aws"),
    }
}

fn normalized_endpoint(endpoint: Option<&str>) -> Option<String> {
    endpoint
        .map(|e| e.trim().trim_end_matches('/').to_ascii_lowercase())
        .filter(|e| !e.is_empty())
}

/// `AKIA…WXYZ` → `…WXYZ`: enough to tell keys apart, as the AWS tools show
/// them.
fn mask(id: &str) -> String {
    let tail: String = id
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("…{tail}")
}

fn s3_parts(target: &Target) -> Option<(&str, &str)> {
    match &target.destination {
        Destination::S3 { bucket, prefix } => Some((bucket, prefix)),
        Destination::Dir(_) => None,
    }
}

fn keyring_error(e: KeyError) -> Error {
    Error::KeyringUnavailable {
        reason: e.to_string(),
    }
}

/// Saves `creds` for the S3 destination `target` in the OS keyring,
/// replacing what was saved before. Folders need none.
pub fn save_credentials(target: &Target, creds: &S3Credentials) -> Result<CredentialStatus> {
    let (bucket, _) = s3_parts(target).ok_or_else(|| Error::InvalidCredentials {
        reason: format!("{} is a folder: it needs no credentials", target.shown),
    })?;
    let entry = credentials_entry(bucket, target.s3.endpoint.as_deref());
    let value = serde_json::json!({
        "access_key_id": creds.access_key_id,
        "secret_access_key": creds.secret_str()?,
    });
    let bytes = zeroize::Zeroizing::new(
        serde_json::to_vec(&value).map_err(|e| Error::encoding("the credentials", e))?,
    );
    keys::keyring_store(keys::KEYRING_SERVICE, &entry, &bytes).map_err(keyring_error)?;
    tracing::info!(entry = %entry, "saved S3 credentials in the OS keyring");
    credential_status(target)
}

/// Removes the credentials saved for `target` (none saved is fine).
pub fn forget_credentials(target: &Target) -> Result<CredentialStatus> {
    if let Some((bucket, _)) = s3_parts(target) {
        let entry = credentials_entry(bucket, target.s3.endpoint.as_deref());
        keys::keyring_delete(keys::KEYRING_SERVICE, &entry).map_err(keyring_error)?;
        tracing::info!(entry = %entry, "removed S3 credentials from the OS keyring");
    }
    credential_status(target)
}

/// The credentials saved for an S3 destination: `Ok(None)` when none are.
fn saved_credentials(bucket: &str, endpoint: Option<&str>) -> Result<Option<S3Credentials>> {
    let entry = credentials_entry(bucket, endpoint);
    let secret = match keys::keyring_load(keys::KEYRING_SERVICE, &entry) {
        Ok(s) => s,
        Err(KeyError::Missing(_)) => return Ok(None),
        Err(e) => return Err(keyring_error(e)),
    };
    #[derive(serde::Deserialize)]
    struct Saved {
        access_key_id: String,
        secret_access_key: String,
    }
    // serde_json's errors quote no input, so the secret stays out of them.
    let saved: Saved =
        serde_json::from_slice(secret.as_bytes()).map_err(|e| Error::InvalidCredentials {
            reason: format!("the OS keyring entry {entry} is not a Tufa credential ({e})"),
        })?;
    let secret = Secret::new(saved.secret_access_key.into_bytes());
    Ok(Some(S3Credentials::new(&saved.access_key_id, secret)?))
}

/// Whether the environment gives credentials (or names where to get them)
/// that the S3 client uses by itself.
fn environment_credentials(builder: &AmazonS3Builder) -> bool {
    let has = |k: AmazonS3ConfigKey| builder.get_config_value(&k).is_some();
    (has(AmazonS3ConfigKey::AccessKeyId) && has(AmazonS3ConfigKey::SecretAccessKey))
        || has(AmazonS3ConfigKey::WebIdentityTokenFile)
        || has(AmazonS3ConfigKey::ContainerCredentialsRelativeUri)
        || has(AmazonS3ConfigKey::ContainerCredentialsFullUri)
        // An explicit metadata endpoint: the environment asks for instance
        // credentials on purpose (an EC2 runner).
        || has(AmazonS3ConfigKey::MetadataEndpoint)
}

/// What an upload to `target` would use, without the secret.
pub fn credential_status(target: &Target) -> Result<CredentialStatus> {
    let Some((bucket, _)) = s3_parts(target) else {
        return Ok(CredentialStatus {
            destination: target.shown.clone(),
            endpoint: None,
            source: CredentialSource::NotNeeded,
            saved: false,
            access_key_id: None,
            keyring_entry: None,
            keyring_problem: None,
        });
    };
    let endpoint = normalized_endpoint(target.s3.endpoint.as_deref());
    let entry = credentials_entry(bucket, endpoint.as_deref());
    let (saved, keyring_problem) = match saved_credentials(bucket, endpoint.as_deref()) {
        Ok(s) => (s, None),
        Err(e) => (None, Some(e.to_string())),
    };
    let env = AmazonS3Builder::from_env();
    let (source, access_key_id) = if environment_credentials(&env) {
        (
            CredentialSource::Environment,
            env.get_config_value(&AmazonS3ConfigKey::AccessKeyId)
                .map(|k| mask(&k)),
        )
    } else if let Some(s) = &saved {
        (CredentialSource::Keyring, Some(mask(&s.access_key_id)))
    } else {
        (CredentialSource::Missing, None)
    };
    Ok(CredentialStatus {
        destination: target.shown.clone(),
        endpoint,
        source,
        saved: saved.is_some(),
        access_key_id,
        keyring_entry: Some(entry),
        keyring_problem,
    })
}

/// How patient a client is: an upload retries (a flaky network should not
/// stop a release halfway); "Test connection" answers at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Patience {
    Upload,
    Probe,
}

/// The S3 client for `bucket` with the credentials the lookup order above
/// gives, and where they came from; [`Error::NoCredentials`] when there are
/// none (never the instance-metadata service).
/// `shown` names the destination in messages.
pub(crate) fn s3_store(
    bucket: &str,
    s3: &S3Options,
    shown: &str,
    patience: Patience,
) -> Result<(AmazonS3, CredentialSource)> {
    let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
    let source = if environment_credentials(&builder) {
        CredentialSource::Environment
    } else {
        let saved = match saved_credentials(bucket, s3.endpoint.as_deref()) {
            Ok(saved) => saved,
            // No keyring here (a server, CI): say what is missing, not
            // how the keyring failed; the status shows the latter.
            Err(Error::KeyringUnavailable { reason }) => {
                tracing::warn!("reading saved S3 credentials: {reason}");
                None
            }
            Err(e) => return Err(e),
        };
        let Some(creds) = saved else {
            return Err(Error::NoCredentials {
                destination: shown.to_string(),
            });
        };
        tracing::info!(
            entry = %credentials_entry(bucket, s3.endpoint.as_deref()),
            "using the S3 credentials saved in the OS keyring"
        );
        builder = builder
            .with_access_key_id(creds.access_key_id.clone())
            .with_secret_access_key(creds.secret_str()?);
        CredentialSource::Keyring
    };
    let region = s3
        .region
        .clone()
        .or_else(|| builder.get_config_value(&AmazonS3ConfigKey::Region))
        .unwrap_or_else(|| "us-east-1".into());
    builder = builder.with_region(region);
    if let Some(endpoint) = &s3.endpoint {
        builder = builder
            .with_endpoint(endpoint)
            .with_allow_http(endpoint.starts_with("http://"));
    }
    let retry = match patience {
        Patience::Upload => object_store::RetryConfig {
            max_retries: 6,
            ..Default::default()
        },
        Patience::Probe => object_store::RetryConfig {
            max_retries: 0,
            retry_timeout: Duration::from_secs(20),
            ..Default::default()
        },
    };
    if patience == Patience::Probe {
        builder = builder
            .with_config(
                AmazonS3ConfigKey::Client(ClientConfigKey::ConnectTimeout),
                "5s",
            )
            .with_config(AmazonS3ConfigKey::Client(ClientConfigKey::Timeout), "20s");
    }
    let store = builder
        .with_retry(retry)
        .build()
        .map_err(|e| Error::InvalidDestination {
            input: shown.to_string(),
            reason: e.to_string(),
        })?;
    Ok((store, source))
}

/// Sorts an object-storage failure into what a person can act on.
pub(crate) fn classify(e: &object_store::Error, bucket: &str) -> ConnectionOutcome {
    // The whole chain: the S3 error code is in the response body, the
    // network failure in an inner error.
    let mut text = e.to_string();
    let mut network = None;
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(h) = s.downcast_ref::<object_store::client::HttpError>() {
            use object_store::client::HttpErrorKind::*;
            if matches!(h.kind(), Connect | Timeout | Request | Interrupted) {
                network = Some(h.to_string());
            }
        }
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    let has = |code: &str| text.contains(code);
    if let Some(reason) = network {
        ConnectionOutcome::Unreachable { reason }
    } else if has("NoSuchBucket") {
        ConnectionOutcome::NoSuchBucket {
            bucket: bucket.to_string(),
        }
    } else if has("InvalidAccessKeyId")
        || has("SignatureDoesNotMatch")
        || has("InvalidToken")
        || has("ExpiredToken")
        || matches!(e, object_store::Error::Unauthenticated { .. })
    {
        ConnectionOutcome::WrongCredentials {
            reason: s3_code(&text).unwrap_or_else(|| e.to_string()),
        }
    } else if has("AccessDenied") || matches!(e, object_store::Error::PermissionDenied { .. }) {
        ConnectionOutcome::AccessDenied {
            reason: s3_code(&text).unwrap_or_else(|| e.to_string()),
        }
    } else {
        ConnectionOutcome::Failed {
            reason: e.to_string(),
        }
    }
}

/// `Code: Message` from an S3 error body, when there is one.
fn s3_code(text: &str) -> Option<String> {
    let tag = |name: &str| {
        let open = format!("<{name}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&format!("</{name}>"))? + start;
        Some(text[start..end].to_string())
    };
    let code = tag("Code")?;
    Some(match tag("Message") {
        Some(m) => format!("{code}: {m}"),
        None => code,
    })
}

/// A probe name no release uses, distinct per test.
fn probe_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(".tufa-connection-test-{}-{nanos}", std::process::id())
}

/// Checks that uploads can go to `target`: for S3, lists the prefix (the
/// bucket exists, the credentials are valid), writes a small probe object
/// and deletes it (an upload writes and removes); for a folder, that it is
/// a folder, or can be created, and is writable (a probe file, removed).
/// Problems are answers, not errors: `Err` only when the destination
/// itself is malformed.
pub async fn test_connection(target: &Target) -> Result<ConnectionTest> {
    let started = std::time::Instant::now();
    let (outcome, credentials) = match &target.destination {
        Destination::Dir(dir) => (probe_folder(dir), CredentialSource::NotNeeded),
        Destination::S3 { bucket, prefix } => {
            match s3_store(bucket, &target.s3, &target.shown, Patience::Probe) {
                Ok((store, source)) => (probe_bucket(&store, bucket, prefix).await, source),
                Err(Error::NoCredentials { .. }) => {
                    (ConnectionOutcome::NoCredentials, CredentialSource::Missing)
                }
                Err(e) => return Err(e),
            }
        }
    };
    let test = describe(target, outcome, credentials, started.elapsed());
    tracing::info!(destination = %test.destination, ok = test.ok, "tested the connection: {}", test.summary);
    Ok(test)
}

async fn probe_bucket(store: &AmazonS3, bucket: &str, prefix: &str) -> ConnectionOutcome {
    let root = (!prefix.is_empty()).then(|| ObjectPath::from(prefix));
    if let Err(e) = store.list_with_delimiter(root.as_ref()).await {
        return classify(&e, bucket);
    }
    let name = probe_name();
    let probe = match &root {
        Some(_) => ObjectPath::from(format!("{prefix}/{name}")),
        None => ObjectPath::from(name),
    };
    let refused = |what: &str, outcome: ConnectionOutcome| match outcome {
        ConnectionOutcome::AccessDenied { reason } => ConnectionOutcome::AccessDenied {
            reason: format!("{what} was refused ({reason})"),
        },
        other => other,
    };
    if let Err(e) = store
        .put(&probe, PutPayload::from_static(b"tufa connection test\n"))
        .await
    {
        return refused("writing a file", classify(&e, bucket));
    }
    if let Err(e) = store.delete(&probe).await {
        return refused("removing a file", classify(&e, bucket));
    }
    ConnectionOutcome::Ok
}

fn io_outcome(path: &Path, e: &std::io::Error) -> ConnectionOutcome {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
            ConnectionOutcome::NotWritable {
                reason: format!("{}: {e}", path.display()),
            }
        }
        std::io::ErrorKind::NotADirectory => ConnectionOutcome::NotAFolder {
            path: path.display().to_string(),
        },
        _ => ConnectionOutcome::Failed {
            reason: format!("{}: {e}", path.display()),
        },
    }
}

fn probe_folder(dir: &Path) -> ConnectionOutcome {
    // The folder, or the nearest parent that exists (the upload creates
    // the rest).
    let mut existing: PathBuf = dir.to_path_buf();
    while std::fs::symlink_metadata(&existing).is_err() {
        match existing.parent() {
            Some(p) if !p.as_os_str().is_empty() => existing = p.to_path_buf(),
            _ => break,
        }
    }
    match std::fs::metadata(&existing) {
        Ok(m) if !m.is_dir() => {
            return ConnectionOutcome::NotAFolder {
                path: existing.display().to_string(),
            }
        }
        Ok(_) => {}
        Err(e) => return io_outcome(&existing, &e),
    }
    // Writable: a probe made and removed (permission bits do not tell:
    // ACLs, read-only mounts, another owner).
    let probe = existing.join(probe_name());
    let made = if existing == dir {
        std::fs::write(&probe, b"tufa connection test\n")
    } else {
        std::fs::create_dir(&probe)
    };
    if let Err(e) = made {
        return io_outcome(&existing, &e);
    }
    let removed = if existing == dir {
        std::fs::remove_file(&probe)
    } else {
        std::fs::remove_dir(&probe)
    };
    match removed {
        Ok(()) => ConnectionOutcome::Ok,
        Err(e) => io_outcome(&probe, &e),
    }
}

fn describe(
    target: &Target,
    outcome: ConnectionOutcome,
    credentials: CredentialSource,
    elapsed: Duration,
) -> ConnectionTest {
    let dest = target.shown.clone();
    let save = || {
        Some(Remedy::SaveCredentials {
            destination: dest.clone(),
        })
    };
    let creds_from = match credentials {
        CredentialSource::Environment => " with the environment's credentials",
        CredentialSource::Keyring => " with the credentials saved in the OS keyring",
        _ => "",
    };
    let (summary, remedy) = match &outcome {
        ConnectionOutcome::Ok => match &target.destination {
            Destination::Dir(dir) if !dir.exists() => (
                format!(
                    "{dest} does not exist yet; it can be created and written, the upload creates it"
                ),
                None,
            ),
            Destination::Dir(_) => (format!("{dest} is a writable folder"), None),
            Destination::S3 { .. } => (
                format!("{dest} is reachable and writable{creds_from}: a test file was written and removed"),
                None,
            ),
        },
        ConnectionOutcome::NoCredentials => (
            format!("no credentials for {dest}: save an access key for this destination"),
            save(),
        ),
        ConnectionOutcome::WrongCredentials { reason } => (
            format!("{dest} refused the credentials{creds_from} ({reason}): check the access key id and the secret"),
            save(),
        ),
        ConnectionOutcome::AccessDenied { reason } => (
            format!(
                "the credentials are valid, but {dest} does not let them upload: {reason}. \
                 Allow listing, writing and deleting objects there, or use other credentials"
            ),
            save(),
        ),
        ConnectionOutcome::NoSuchBucket { bucket } => (
            format!(
                "the server has no bucket '{bucket}': create it, or check the bucket name and the endpoint"
            ),
            Some(Remedy::EditDestination),
        ),
        ConnectionOutcome::Unreachable { reason } => (
            format!(
                "the server of {dest} cannot be reached ({reason}): check the endpoint and the network"
            ),
            Some(Remedy::EditDestination),
        ),
        ConnectionOutcome::NotAFolder { path } => (
            format!("{path} is a file, not a folder: choose a folder"),
            Some(Remedy::EditDestination),
        ),
        ConnectionOutcome::NotWritable { reason } => (
            format!("{dest} cannot be written here ({reason}): choose a folder you can write to"),
            Some(Remedy::EditDestination),
        ),
        ConnectionOutcome::Failed { reason } => (format!("{dest}: {reason}"), None),
    };
    ConnectionTest {
        destination: dest,
        ok: outcome == ConnectionOutcome::Ok,
        outcome,
        summary,
        remedy,
        credentials,
        millis: elapsed.as_millis().try_into().unwrap_or(u64::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(to: &str, endpoint: Option<&str>) -> Target {
        Target {
            destination: to.parse().expect("a destination"),
            s3: S3Options {
                endpoint: endpoint.map(Into::into),
                region: None,
            },
            shown: to.into(),
        }
    }

    #[test]
    fn entries_are_keyed_by_endpoint_and_bucket() {
        assert_eq!(credentials_entry("b", None), "s3:b@aws");
        assert_eq!(
            credentials_entry("b", Some(" HTTP://127.0.0.1:9000/ ")),
            "s3:b@http://127.0.0.1:9000"
        );
        assert_ne!(
            credentials_entry("b", Some("https://a.example")),
            credentials_entry("b", Some("https://c.example"))
        );
    }

    #[test]
    fn credentials_never_print_their_secret() {
        let c = S3Credentials::new(" AKIAEXAMPLE1234 ", Secret::new(b"s3cr3t-value\n".to_vec()))
            .expect("valid keys");
        assert_eq!(c.access_key_id, "AKIAEXAMPLE1234");
        assert_eq!(c.secret_access_key.as_bytes(), b"s3cr3t-value");
        let shown = format!("{c:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(!shown.contains("AKIAEXAMPLE"), "{shown}");
        assert!(matches!(
            S3Credentials::new("id", Secret::new(b" ".to_vec())),
            Err(Error::InvalidCredentials { .. })
        ));
        assert!(matches!(
            S3Credentials::new("id", Secret::new(b"two words".to_vec())),
            Err(Error::InvalidCredentials { .. })
        ));
    }

    #[test]
    fn folders_are_probed_without_leaving_anything() {
        let tmp = tempfile::tempdir().expect("a temporary folder");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let dir = tmp.path().join("www");
        let t = rt
            .block_on(test_connection(&target(dir.to_str().expect("utf-8"), None)))
            .expect("a folder destination");
        assert_eq!(t.outcome, ConnectionOutcome::Ok, "{t:?}");
        assert!(t.summary.contains("does not exist yet"), "{t:?}");
        assert!(!dir.exists());
        assert_eq!(std::fs::read_dir(tmp.path()).expect("listing").count(), 0);
        std::fs::create_dir(&dir).expect("mkdir");
        let t = rt
            .block_on(test_connection(&target(dir.to_str().expect("utf-8"), None)))
            .expect("a folder destination");
        assert!(t.ok, "{t:?}");
        assert_eq!(std::fs::read_dir(&dir).expect("listing").count(), 0);
        let file = tmp.path().join("file");
        std::fs::write(&file, b"x").expect("write");
        let below = file.join("sub");
        let t = rt
            .block_on(test_connection(&target(
                below.to_str().expect("utf-8"),
                None,
            )))
            .expect("a folder destination");
        assert_eq!(
            t.outcome,
            ConnectionOutcome::NotAFolder {
                path: file.display().to_string()
            }
        );
        assert_eq!(t.remedy, Some(Remedy::EditDestination));
    }

    #[test]
    fn s3_errors_are_sorted_by_their_code() {
        assert_eq!(
            s3_code("... <Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>"),
            Some("NoSuchBucket: The specified bucket does not exist".into())
        );
        assert_eq!(s3_code("no xml"), None);
    }
}
