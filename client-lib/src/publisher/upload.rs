//! Publishing a repository to where clients read it: a local directory or
//! S3-compatible object storage (AWS S3, MinIO, Cloudflare R2, GCS's S3
//! API) through `object_store`.
//!
//! Order makes every moment consistent for clients: new target files
//! first, then root versions, targets.json, snapshot.json, root.json, and
//! timestamp.json last; files no longer listed are deleted only after
//! that. Only files the verified metadata lists are uploaded (anything
//! else in the folder is reported, never sent). An interrupted upload is
//! resumed by running it again: target files and root versions already
//! there with the same sha256 are skipped. Local folders get modes 0644
//! and 0755, so a web server running as another user can serve them. Credentials come from the
//! usual environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_REGION`, …) or the OS keyring entry saved for the destination
//! (see [`super::destinations`]), never from the project file.

use super::Publisher;
use crate::error::IoContext;
use crate::progress::{Phase, Progress};
use crate::{Error, Result};
use futures_util::StreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{
    Attribute, Attributes, GetOptions, ObjectStore, ObjectStoreExt, PutMultipartOptions,
    PutOptions, PutPayload, WriteMultipart,
};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Cache policy of files that never change once published: root versions
/// (`N.root.json`; a version number is never reused).
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache policy of target files: a name can come back with other bytes
/// (after `remove-latest`, the same version released again), so caches
/// keep them but revalidate (a cheap conditional request) every time.
pub const TARGET: &str = "public, no-cache";
/// Cache policy of metadata that changes with every release.
pub const REVALIDATE: &str = "no-cache";
/// Cache policy of timestamp.json: never served from a cache.
pub const NEVER_CACHE: &str = "no-cache, no-store, max-age=0";

/// Object metadata holding a file's sha256, so that a resumed upload
/// skips only objects whose bytes are the same, not just their size.
const SHA256_META: &str = "sha256";

/// Where a repository is published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A local directory (served by any web server).
    Dir(PathBuf),
    /// `s3://BUCKET/PREFIX`.
    S3 {
        /// Bucket name.
        bucket: String,
        /// Key prefix (may be empty).
        prefix: String,
    },
}

impl FromStr for Destination {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        if let Some(rest) = s.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(Error::InvalidDestination {
                    input: s.to_string(),
                    reason: "no bucket name; use s3://BUCKET/PREFIX".into(),
                });
            }
            return Ok(Destination::S3 {
                bucket: bucket.into(),
                prefix: prefix.trim_matches('/').into(),
            });
        }
        if s.contains("://") {
            return Err(Error::InvalidDestination {
                input: s.to_string(),
                reason: "only s3:// URLs and local directories are supported".into(),
            });
        }
        Ok(Destination::Dir(s.into()))
    }
}

/// S3 connection settings beyond the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct S3Options {
    /// Endpoint of an S3-compatible server (MinIO, R2, GCS, a test server).
    pub endpoint: Option<String>,
    /// Region (default: `AWS_REGION`, else us-east-1).
    pub region: Option<String>,
}

/// What an upload did.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UploadReport {
    /// Files written, in order.
    pub uploaded: Vec<String>,
    /// Files already there with the same bytes.
    pub skipped: Vec<String>,
    /// Files removed because metadata no longer lists them.
    pub deleted: Vec<String>,
    /// Files in the repository folder that the metadata does not list:
    /// not uploaded (whatever they are, clients would never use them).
    pub not_listed: Vec<String>,
    /// Bytes sent.
    pub bytes: u64,
}

struct Plan {
    /// (relative path, cache policy, skipped when the same bytes are there)
    files: Vec<(String, &'static str, bool)>,
    /// Files present but not listed by the metadata.
    not_listed: Vec<String>,
    /// sha256 of the target files, as checked against targets.json before
    /// the upload (so large archives are not read again to compare them).
    verified: BTreeMap<String, String>,
}

impl Plan {
    /// sha256 of the repository file `rel`: the checked one for targets,
    /// read now for metadata.
    fn sha256(&self, repo: &Path, rel: &str) -> Result<String> {
        match self.verified.get(rel) {
            Some(h) => Ok(h.clone()),
            None => file_sha256(&repo.join(rel)),
        }
    }
}

/// What to upload: the target files that `targets` (the names targets.json
/// lists) names, root versions 1 to `latest_root`, and the top-level
/// metadata; nothing else in the folder.
/// `delegated`: the file names of the delegated targets roles (a
/// delegated platform's `linux-x86_64.json`), sent before the snapshot
/// that pins them.
fn upload_plan(
    repo: &Path,
    targets: &BTreeSet<String>,
    delegated: &[String],
    latest_root: u64,
) -> Result<Plan> {
    let mut files = Vec::new();
    let mut not_listed = Vec::new();
    for name in targets {
        let plain = Path::new(name)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if !plain || name.is_empty() {
            return Err(Error::InvalidMetadata {
                file: "targets.json".into(),
                reason: format!("target name '{name}' is not a plain file name"),
            });
        }
        let path = repo.join("targets").join(name);
        let regular = std::fs::symlink_metadata(&path)
            .map(|m| m.file_type().is_file())
            .unwrap_or(false);
        if !regular {
            return Err(Error::VerificationFailed {
                file: format!("targets/{name}"),
                reason: "targets.json lists it, but it is missing or not a regular file".into(),
            });
        }
        files.push((format!("targets/{name}"), TARGET, true));
    }
    let tdir = repo.join("targets");
    for e in std::fs::read_dir(&tdir).context(|| format!("reading {}", tdir.display()))? {
        let name = e
            .context(|| format!("reading {}", tdir.display()))?
            .file_name()
            .to_string_lossy()
            .into_owned();
        if !targets.contains(&name) {
            not_listed.push(format!("targets/{name}"));
        }
    }
    for n in 1..=latest_root {
        files.push((format!("metadata/{n}.root.json"), IMMUTABLE, true));
    }
    for name in delegated {
        files.push((format!("metadata/{name}"), REVALIDATE, false));
    }
    let top = [
        ("targets.json", REVALIDATE),
        ("snapshot.json", REVALIDATE),
        ("root.json", REVALIDATE),
        ("timestamp.json", NEVER_CACHE),
    ];
    for (name, policy) in top {
        files.push((format!("metadata/{name}"), policy, false));
    }
    let mdir = repo.join("metadata");
    for e in std::fs::read_dir(&mdir).context(|| format!("reading {}", mdir.display()))? {
        let rel = format!(
            "metadata/{}",
            e.context(|| format!("reading {}", mdir.display()))?
                .file_name()
                .to_string_lossy()
        );
        if !files.iter().any(|(r, _, _)| *r == rel) {
            not_listed.push(rel);
        }
    }
    not_listed.sort();
    Ok(Plan {
        files,
        not_listed,
        verified: BTreeMap::new(),
    })
}

/// sha256 of a file, streamed.
fn file_sha256(path: &Path) -> Result<String> {
    Ok(super::release::file_info(path, String::new())?.sha256)
}

fn store_err(e: object_store::Error) -> Error {
    // Refused credentials get a remedy (save other ones); `upload`, which
    // knows the destination, names it.
    use super::destinations::{classify, ConnectionOutcome};
    if let ConnectionOutcome::WrongCredentials { reason } = classify(&e, "") {
        return Error::CredentialsRefused {
            destination: String::new(),
            reason,
        };
    }
    Error::Storage {
        reason: e.to_string(),
    }
}

/// Where and how to upload, resolved from what the user gave and the
/// project's `[publish]` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The destination.
    pub destination: Destination,
    /// S3 settings (ignored for folders).
    pub s3: S3Options,
    /// The destination as given (for messages).
    pub shown: String,
}

impl Publisher {
    /// Resolves where to publish: `to` when given (blank counts as not
    /// given), else `[publish] to` from tufa.toml; endpoint and region
    /// likewise. A relative folder counts from the project folder, never
    /// from wherever the program happens to run (front ends that take a
    /// path relative to their own working folder make it absolute first).
    pub fn destination(
        &self,
        to: Option<&str>,
        endpoint: Option<&str>,
        region: Option<&str>,
    ) -> Result<Target> {
        let given = |v: Option<&str>| {
            v.map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let config = self.project().publish.as_ref();
        let shown = given(to)
            .or_else(|| config.map(|c| c.to.clone()))
            .ok_or(Error::NoDestination)?;
        let destination = match shown.parse::<Destination>()? {
            Destination::Dir(dir) if dir.is_relative() => Destination::Dir(self.dir().join(dir)),
            other => other,
        };
        let s3 = S3Options {
            endpoint: given(endpoint).or_else(|| config.and_then(|c| c.endpoint.clone())),
            region: given(region).or_else(|| config.and_then(|c| c.region.clone())),
        };
        Ok(Target {
            destination,
            s3,
            shown,
        })
    }

    /// Uploads the repository to `dest` in the order that keeps clients
    /// consistent, then removes target files the metadata no longer lists.
    pub async fn upload(&self, dest: &Destination, s3: &S3Options) -> Result<UploadReport> {
        self.upload_with_progress(dest, s3, &mut crate::progress::NoProgress)
            .await
    }

    /// [`Publisher::upload`], reporting [`Phase::Upload`] to `progress`:
    /// the total is the bytes of every file to publish, each file is
    /// announced as it starts (a file already there counts as done at
    /// once), and the phase finishes with every byte done. Cancelling
    /// stops between files and chunks ([`Error::Cancelled`]); what went up
    /// is consistent (the order above) and the next upload resumes.
    pub async fn upload_with_progress(
        &self,
        dest: &Destination,
        s3: &S3Options,
        progress: &mut (dyn Progress + Send),
    ) -> Result<UploadReport> {
        let repo = self.repo();
        // Only what verified metadata lists is published: a stray file in
        // targets/ (a key, a build left-over) never leaves this machine.
        let meta = crate::metadata::RepoMetadata::load_from_root(
            &repo.join("metadata"),
            self.project.trust_from_root,
        )?;
        // Every role's targets: a delegated platform's releases are in
        // its own role, which goes up with them.
        let roles = self.target_roles(&meta)?;
        let all_targets = roles.listed();
        let listed: BTreeSet<String> = all_targets.keys().cloned().collect();
        let delegated: Vec<String> = roles
            .delegated_names()
            .map(|n| format!("{n}.json"))
            .collect();
        let mut plan = upload_plan(&repo, &listed, &delegated, meta.root().signed.version.get())?;
        // What this upload publishes, recorded once it succeeded, so the
        // app can tell local changes from published ones.
        let sent = self.publishable_files()?;
        // Bucket and prefix only: credentials come from the environment and
        // never reach the log.
        tracing::info!(destination = ?dest, "uploading the repository");
        // What goes up is what targets.json describes: a listed name that
        // was replaced on disk (by a link to a key, say) is refused.
        for (name, target) in &all_targets {
            let path = repo.join("targets").join(name);
            let expected = hex::encode(&target.hashes.sha256);
            let size = std::fs::metadata(&path)
                .context(|| format!("reading {}", path.display()))?
                .len();
            if size != target.length || file_sha256(&path)? != expected {
                return Err(Error::VerificationFailed {
                    file: format!("targets/{name}"),
                    reason: "its length or sha256 differs from the metadata listing it".into(),
                });
            }
            plan.verified.insert(format!("targets/{name}"), expected);
        }
        let mut total = 0u64;
        for (rel, _, _) in &plan.files {
            total += std::fs::metadata(repo.join(rel))
                .context(|| format!("reading {rel}"))?
                .len();
        }
        let mut meter = Meter {
            progress,
            done: 0,
            files: plan.files.len(),
        };
        meter.progress.start(Phase::Upload, Some(total));
        let report = match dest {
            Destination::Dir(dir) => upload_dir(&repo, dir, &plan, &mut meter),
            Destination::S3 { bucket, prefix } => {
                // The environment's credentials, else the ones saved for
                // this destination, else a typed error (never the
                // instance-metadata service): see `destinations`.
                let shown = super::published::describe(dest);
                let (store, _) = super::destinations::s3_store(
                    bucket,
                    s3,
                    &shown,
                    super::destinations::Patience::Upload,
                )?;
                upload_store(&repo, &store, prefix, &plan, &mut meter)
                    .await
                    .map_err(|e| match e {
                        Error::CredentialsRefused { reason, .. } => Error::CredentialsRefused {
                            destination: shown,
                            reason,
                        },
                        other => other,
                    })
            }
        }?;
        meter.progress.file("", meter.files, meter.files);
        meter.progress.finish(Phase::Upload);
        if let Err(e) = self.record_upload(dest, sent) {
            // The upload itself succeeded; a missing record only makes the
            // app count these files as not uploaded.
            tracing::warn!("recording the upload: {e}");
        }
        Ok(report)
    }
}

/// Bytes and files of an upload done so far, told to a [`Progress`].
struct Meter<'a> {
    progress: &'a mut (dyn Progress + Send),
    done: u64,
    files: usize,
}

impl Meter<'_> {
    /// File number `index` starts (or stops here when cancelled).
    fn file(&mut self, rel: &str, index: usize) -> Result<()> {
        if self.progress.cancelled() {
            return Err(Error::Cancelled);
        }
        self.progress.file(rel, index, self.files);
        Ok(())
    }

    fn add(&mut self, n: u64) {
        self.done += n;
        self.progress.advance(self.done);
    }
}

/// A reader counting what passes through it into a [`Meter`], and
/// stopping when the user cancels.
struct Metered<'a, 'b, R> {
    inner: R,
    meter: &'a mut Meter<'b>,
}

impl<R: std::io::Read> std::io::Read for Metered<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.meter.progress.cancelled() {
            // Not `Interrupted`: io::copy would retry that.
            return Err(std::io::Error::other("cancelled"));
        }
        let n = self.inner.read(buf)?;
        self.meter.add(n as u64);
        Ok(n)
    }
}

fn key(prefix: &str, rel: &str) -> ObjectPath {
    if prefix.is_empty() {
        ObjectPath::from(rel)
    } else {
        ObjectPath::from(format!("{prefix}/{rel}"))
    }
}

async fn remote_sizes(store: &dyn ObjectStore, prefix: &str) -> Result<BTreeMap<String, u64>> {
    let root = if prefix.is_empty() {
        None
    } else {
        Some(ObjectPath::from(prefix))
    };
    let mut out = BTreeMap::new();
    let mut listing = store.list(root.as_ref());
    while let Some(meta) = listing.next().await {
        let meta = meta.map_err(store_err)?;
        let full = meta.location.to_string();
        let rel = if prefix.is_empty() {
            full
        } else {
            full.strip_prefix(&format!("{prefix}/"))
                .unwrap_or(&full)
                .to_string()
        };
        out.insert(rel, meta.size);
    }
    Ok(out)
}

async fn upload_store(
    repo: &Path,
    store: &dyn ObjectStore,
    prefix: &str,
    plan: &Plan,
    meter: &mut Meter<'_>,
) -> Result<UploadReport> {
    let remote = remote_sizes(store, prefix).await?;
    let mut report = UploadReport {
        not_listed: plan.not_listed.clone(),
        ..Default::default()
    };
    for (index, (rel, policy, immutable)) in plan.files.iter().enumerate() {
        meter.file(rel, index)?;
        let path = repo.join(rel);
        let size = std::fs::metadata(&path)
            .context(|| format!("reading {rel}"))?
            .len();
        let sha256 = plan.sha256(repo, rel)?;
        if *immutable
            && remote.get(rel) == Some(&size)
            && remote_sha256(store, &key(prefix, rel)).await?.as_deref() == Some(sha256.as_str())
        {
            report.skipped.push(rel.clone());
            meter.add(size);
            continue;
        }
        if rel == "metadata/targets.json" {
            crate::fsutil::failpoint("upload-before-metadata");
        }
        let mut attributes = Attributes::new();
        attributes.insert(Attribute::CacheControl, (*policy).into());
        let content_type = if rel.ends_with(".json") {
            "application/json"
        } else {
            "application/octet-stream"
        };
        attributes.insert(Attribute::ContentType, content_type.into());
        attributes.insert(Attribute::Metadata(SHA256_META.into()), sha256.into());
        if size < MULTIPART_FROM {
            let bytes = std::fs::read(&path).context(|| format!("reading {rel}"))?;
            let opts = PutOptions {
                attributes,
                ..Default::default()
            };
            store
                .put_opts(&key(prefix, rel), PutPayload::from(bytes), opts)
                .await
                .map_err(store_err)?;
            meter.add(size);
        } else {
            put_multipart(store, &key(prefix, rel), &path, attributes, meter).await?;
        }
        report.bytes += size;
        report.uploaded.push(rel.clone());
    }
    let listed: Vec<&String> = plan.files.iter().map(|(r, _, _)| r).collect();
    for rel in remote
        .keys()
        .filter(|r| r.starts_with("targets/") && !listed.contains(r))
    {
        store.delete(&key(prefix, rel)).await.map_err(store_err)?;
        report.deleted.push(rel.clone());
    }
    Ok(report)
}

/// The sha256 an object was uploaded with (`None`: unknown, e.g. put there
/// by another tool or an older Tufa).
async fn remote_sha256(store: &dyn ObjectStore, location: &ObjectPath) -> Result<Option<String>> {
    let opts = GetOptions {
        head: true,
        ..Default::default()
    };
    let result = store.get_opts(location, opts).await.map_err(store_err)?;
    Ok(result
        .attributes
        .get(&Attribute::Metadata(SHA256_META.into()))
        .map(|v| v.to_string()))
}

/// Files from this size on go up in parts, read from disk as they are
/// sent: an archive is never held in memory whole.
const MULTIPART_FROM: u64 = 6 << 20;
/// S3's smallest part (but the last).
const PART_BYTES: usize = 5 << 20;

async fn put_multipart(
    store: &dyn ObjectStore,
    location: &ObjectPath,
    path: &Path,
    attributes: Attributes,
    meter: &mut Meter<'_>,
) -> Result<()> {
    use std::io::Read;
    let opts = PutMultipartOptions {
        attributes,
        ..Default::default()
    };
    let upload = store
        .put_multipart_opts(location, opts)
        .await
        .map_err(store_err)?;
    let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
    let mut file = std::fs::File::open(path).context(|| format!("reading {}", path.display()))?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buf)
            .context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        if meter.progress.cancelled() {
            // Parts sent so far are dropped with the unfinished upload.
            let _ = writer.abort().await;
            return Err(Error::Cancelled);
        }
        writer.wait_for_capacity(2).await.map_err(store_err)?;
        writer.write(&buf[..n]);
        meter.add(n as u64);
    }
    writer.finish().await.map_err(store_err)?;
    Ok(())
}

/// Makes `dir` (and the parents it creates) exist with mode 0755, so that
/// a web server running as another user can list and serve it.
fn public_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        public_dir(parent)?;
    }
    match std::fs::create_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err(Error::io(format!("creating {}", dir.display()), e)),
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
            .context(|| format!("setting the permissions of {}", dir.display()))?;
    }
    Ok(())
}

fn upload_dir(
    repo: &Path,
    dest: &Path,
    plan: &Plan,
    meter: &mut Meter<'_>,
) -> Result<UploadReport> {
    let mut report = UploadReport {
        not_listed: plan.not_listed.clone(),
        ..Default::default()
    };
    for (index, (rel, _, immutable)) in plan.files.iter().enumerate() {
        meter.file(rel, index)?;
        let from = repo.join(rel);
        let to = dest.join(rel);
        let size = std::fs::metadata(&from)
            .context(|| format!("reading {}", from.display()))?
            .len();
        // Same size is not enough: a name can come back with other bytes.
        if *immutable
            && std::fs::metadata(&to).map(|m| m.len()).ok() == Some(size)
            && file_sha256(&to)? == plan.sha256(repo, rel)?
        {
            report.skipped.push(rel.clone());
            meter.add(size);
            continue;
        }
        if rel == "metadata/targets.json" {
            crate::fsutil::failpoint("upload-before-metadata");
        }
        let parent = to.parent().unwrap_or(dest);
        public_dir(parent)?;
        // Copied aside, then renamed: a reader never sees half a file.
        let src = std::fs::File::open(&from).context(|| format!("reading {}", from.display()))?;
        let mut src = Metered { inner: src, meter };
        // A cancel surfaces as a failed read; the half copy is
        // thrown away by the atomic write.
        let copied = crate::fsutil::write_public_atomic_with(&to, |out| {
            std::io::copy(&mut src, out).context(|| format!("writing {}", to.display()))
        });
        if meter.progress.cancelled() {
            return Err(Error::Cancelled);
        }
        copied?;
        report.bytes += size;
        report.uploaded.push(rel.clone());
    }
    let tdir = dest.join("targets");
    if let Ok(rd) = std::fs::read_dir(&tdir) {
        for e in rd.flatten() {
            let rel = format!("targets/{}", e.file_name().to_string_lossy());
            if !plan.files.iter().any(|(r, _, _)| r == &rel) {
                std::fs::remove_file(e.path())
                    .context(|| format!("removing {}", e.path().display()))?;
                report.deleted.push(rel);
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations() {
        assert_eq!(
            "s3://b/some/prefix/".parse::<Destination>().unwrap(),
            Destination::S3 {
                bucket: "b".into(),
                prefix: "some/prefix".into()
            }
        );
        assert_eq!(
            "s3://b".parse::<Destination>().unwrap(),
            Destination::S3 {
                bucket: "b".into(),
                prefix: String::new()
            }
        );
        assert!("s3:///x".parse::<Destination>().is_err());
        assert!("ftp://x".parse::<Destination>().is_err());
        assert_eq!(
            "/srv/www".parse::<Destination>().unwrap(),
            Destination::Dir("/srv/www".into())
        );
    }

    #[test]
    fn upload_order_keeps_clients_consistent() {
        let dir = tempfile::tempdir().unwrap();
        for f in [
            "targets/a-1.0.tar.gz",
            "metadata/1.root.json",
            "metadata/2.root.json",
            "metadata/root.json",
            "metadata/targets.json",
            "metadata/snapshot.json",
            "metadata/timestamp.json",
        ] {
            std::fs::create_dir_all(dir.path().join(f).parent().unwrap()).unwrap();
            std::fs::write(dir.path().join(f), b"x").unwrap();
        }
        std::fs::write(dir.path().join("targets/stray.pem"), b"secret").unwrap();
        let listed: BTreeSet<String> = ["a-1.0.tar.gz".to_string()].into();
        let plan = upload_plan(dir.path(), &listed, &[], 2).unwrap();
        assert_eq!(plan.not_listed, ["targets/stray.pem"]);
        let order: Vec<&str> = plan.files.iter().map(|(r, _, _)| r.as_str()).collect();
        assert_eq!(
            order,
            [
                "targets/a-1.0.tar.gz",
                "metadata/1.root.json",
                "metadata/2.root.json",
                "metadata/targets.json",
                "metadata/snapshot.json",
                "metadata/root.json",
                "metadata/timestamp.json"
            ]
        );
        assert_eq!(plan.files.last().unwrap().1, NEVER_CACHE);
        assert_eq!(plan.files[0].1, TARGET);
        assert_eq!(plan.files[1].1, IMMUTABLE);
    }
}
