//! Local versus published: what the last upload sent (a small record in
//! `<project>/.tufa/last-upload.json`: each file's sha256), compared with
//! the repository folder now, so a front end can say "3 changes not
//! uploaded" after a release or a timestamp refresh. Also where uploads
//! go, saved in `[publish]` of tufa.toml.

use super::project::PublishConfig;
use super::upload::Destination;
use super::*;
use serde::Deserialize;

/// The record of the last upload, relative to the project folder.
pub const UPLOAD_RECORD: &str = ".tufa/last-upload.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct UploadRecord {
    /// Where it went (`s3://…` or a folder).
    destination: String,
    /// When it finished (RFC 3339).
    at: String,
    /// Repository-relative path → sha256 of what was uploaded.
    files: BTreeMap<String, String>,
}

/// The repository folder compared with the last upload.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PublishedState {
    /// The saved destination (`[publish] to`), if any.
    pub destination: Option<String>,
    /// Where the last upload went, if there was one.
    pub last_destination: Option<String>,
    /// When the last upload finished (RFC 3339).
    pub last_upload: Option<String>,
    /// Files that are new or changed since the last upload (all files
    /// when nothing was uploaded yet).
    pub not_uploaded: Vec<String>,
    /// Files the last upload sent that the repository no longer has
    /// (the next upload removes them from the server).
    pub to_remove: Vec<String>,
}

impl PublishedState {
    /// Changes the published copy lacks.
    pub fn changes(&self) -> usize {
        self.not_uploaded.len() + self.to_remove.len()
    }
}

/// How an upload destination is shown and recorded.
pub fn describe(dest: &Destination) -> String {
    match dest {
        Destination::Dir(d) => d.display().to_string(),
        Destination::S3 { bucket, prefix } if prefix.is_empty() => format!("s3://{bucket}"),
        Destination::S3 { bucket, prefix } => format!("s3://{bucket}/{prefix}"),
    }
}

impl Publisher {
    /// The files an upload publishes, each with its sha256: the target
    /// files targets.json lists (their hash is the verified metadata's)
    /// and every metadata file.
    pub fn publishable_files(&self) -> Result<BTreeMap<String, String>> {
        let repo = self.repo();
        let meta = self.metadata()?;
        let mut out = BTreeMap::new();
        // Delegated platforms' files too: they are served like the rest.
        for (name, target) in self.target_roles(&meta)?.listed() {
            out.insert(
                format!("targets/{name}"),
                hex::encode(&target.hashes.sha256),
            );
        }
        let mdir = repo.join("metadata");
        for e in std::fs::read_dir(&mdir).context(|| format!("reading {}", mdir.display()))? {
            let e = e.context(|| format!("reading {}", mdir.display()))?;
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".json") {
                continue;
            }
            let bytes =
                std::fs::read(e.path()).context(|| format!("reading {}", e.path().display()))?;
            out.insert(format!("metadata/{name}"), sha256_hex(&bytes));
        }
        Ok(out)
    }

    /// Notes that `files` (from [`Publisher::publishable_files`], taken
    /// before the upload) reached `dest`.
    pub fn record_upload(&self, dest: &Destination, files: BTreeMap<String, String>) -> Result<()> {
        let record = UploadRecord {
            destination: describe(dest),
            at: jiff::Timestamp::now()
                .strftime("%Y-%m-%dT%H:%M:%SZ")
                .to_string(),
            files,
        };
        let path = self.dir.join(UPLOAD_RECORD);
        if let Some(parent) = path.parent() {
            ensure_dir(parent)?;
        }
        let bytes = serde_json::to_vec_pretty(&record)
            .map_err(|e| Error::encoding("the upload record", e))?;
        crate::fsutil::write_atomic(&path, &bytes)
    }

    /// The repository folder against the last upload.
    pub fn published_state(&self) -> Result<PublishedState> {
        let path = self.dir.join(UPLOAD_RECORD);
        // A missing or unreadable record means "never uploaded": the worst
        // it causes is an upload that skips what is already there.
        let record: Option<UploadRecord> = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        let local = self.publishable_files()?;
        let sent = record.as_ref().map(|r| &r.files);
        let not_uploaded = local
            .iter()
            .filter(|(rel, sha)| sent.and_then(|s| s.get(*rel)) != Some(*sha))
            .map(|(rel, _)| rel.clone())
            .collect();
        let to_remove = sent
            .map(|s| {
                s.keys()
                    .filter(|rel| rel.starts_with("targets/") && !local.contains_key(*rel))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        Ok(PublishedState {
            destination: self.project.publish.as_ref().map(|p| p.to.clone()),
            last_destination: record.as_ref().map(|r| r.destination.clone()),
            last_upload: record.map(|r| r.at),
            not_uploaded,
            to_remove,
        })
    }

    /// Saves where uploads go (`[publish]` in tufa.toml). A relative
    /// folder stays relative: it counts from the project folder.
    pub fn save_destination(
        &mut self,
        to: &str,
        endpoint: Option<&str>,
        region: Option<&str>,
    ) -> Result<()> {
        let to = to.trim();
        if to.is_empty() {
            return Err(Error::NoDestination);
        }
        // Refuse what an upload would refuse, now rather than then.
        to.parse::<Destination>()?;
        let given = |v: Option<&str>| {
            v.map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        self.project.publish = Some(PublishConfig {
            to: to.to_string(),
            endpoint: given(endpoint),
            region: given(region),
        });
        self.project.save(&self.dir)
    }
}
