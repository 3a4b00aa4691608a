//! Building a release: archive and patch from a bundle, planned or
//! staged and published.

use super::streams::SigningRole;
use super::*;
use crate::target::{Rollout, RolloutState};

impl Publisher {
    /// Computes what adding `req` would do, without touching the repository.
    pub fn plan_add(&self, req: &AddRequest, progress: &mut dyn Progress) -> Result<AddPlan> {
        let meta = self.metadata()?;
        let scratch = tempfile::tempdir().context(|| "creating a temporary directory".into())?;
        self.build_release(&meta, req, scratch.path(), progress)
            .map(|(plan, _, _, _)| plan)
    }

    /// Adds a release and publishes it (or stages it when signatures are
    /// missing). Returns the plan it carried out and the outcome.
    pub fn add(
        &self,
        req: &AddRequest,
        progress: &mut dyn Progress,
    ) -> Result<(AddPlan, PublishOutcome)> {
        tracing::info!(
            version = %req.version,
            bundle = %req.bundle.display(),
            "adding a release"
        );
        let session = self.session()?;
        self.ensure_nothing_staged()?;
        let staging = self.staging();
        let result = (|| {
            ensure_dir(&staging.join("targets"))?;
            ensure_dir(&staging.join("metadata"))?;
            let (plan, targets, role, manifest) =
                self.build_release(&session.meta, req, &staging.join("targets"), progress)?;
            tracing::info!(
                archive = %plan.archive.name,
                archive_bytes = plan.archive.size,
                patch = ?plan.patch.as_ref().map(|p| (&p.name, p.size)),
                "release built"
            );
            progress.start(Phase::Sign, None);
            // A delegated platform's release changes its own role, signed
            // by its own keys only (a CI runner needs no targets key).
            let (signers, file) = match &role {
                SigningRole::Delegated(p) => (
                    delegate::delegated_signers(&self.project, &self.dir, self.keys.as_ref(), p)?,
                    format!("metadata/{p}.json"),
                ),
                SigningRole::Top => (
                    signers_for(
                        &self.project,
                        &self.dir,
                        self.keys.as_ref(),
                        TopRole::Targets,
                    )?,
                    "metadata/targets.json".to_string(),
                ),
            };
            let signers = signers.require_one()?;
            let signed = sign_fresh(targets, &signers.available)?;
            commit::write_atomic(&staging.join(file), &file_bytes(&signed)?)?;
            let outcome = self.publish_staged(&session, &BTreeMap::new(), &BTreeSet::new())?;
            progress.finish(Phase::Sign);
            // Only a cache for estimates: failing to keep it is no failure.
            let _ = self.keep_manifest(&plan.archive.sha256, &manifest);
            Ok((plan, outcome))
        })();
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&staging);
        }
        result
    }

    /// Builds archive and patch into `out_dir` and the new content of the
    /// targets role that lists the release's platform (which it returns).
    pub(super) fn build_release(
        &self,
        meta: &RepoMetadata,
        req: &AddRequest,
        out_dir: &Path,
        progress: &mut dyn Progress,
    ) -> Result<(AddPlan, Targets, SigningRole, Manifest)> {
        // A platform is a stream of its own: names, the previous release
        // (patched from) and the clients' view are those of the stream.
        if let Some(p) = &req.platform {
            crate::target::validate_platform(p)?;
        }
        if let Some(percent) = req.rollout {
            check_percent(percent)?;
        }
        let stream = crate::target::stream_name(&self.project.app_name, req.platform.as_deref());
        let app = &stream;
        let version: AppVersion = req.version.parse()?;
        // The role the release goes into: top-level targets, or the
        // platform's delegated role.
        let roles = self.target_roles_for_change(meta, req.platform.as_deref())?;
        let role = roles.role_of(req.platform.as_deref());
        let delegated_days = match &role {
            SigningRole::Delegated(p) => Some(
                self.delegation(Some(p))
                    .ok_or_else(|| Error::InvalidSetting {
                        field: format!("delegations.{p}"),
                        reason: format!("missing from {PROJECT_FILE}"),
                    })?
                    .expires_days,
            ),
            SigningRole::Top => None,
        };
        let base = roles.targets(&role);
        let existing = releases(base, app)?;
        let previous = existing.last().cloned();
        if let Some(prev) = &previous {
            if version <= prev.version {
                return Err(Error::VersionNotNewer {
                    new: version.to_string(),
                    latest: prev.version.to_string(),
                });
            }
        }
        if let Some(user) = &req.user {
            if !user.is_object() {
                return Err(Error::InvalidReleaseMetadata {
                    reason: "it must be a JSON object".into(),
                });
            }
        }
        // A bundle may also come as a .tar.gz (as CI pipelines produce):
        // unpacked, with the client's hostile-archive checks, into a
        // scratch directory first.
        let unpacked;
        let bundle_dir = if is_archive(&req.bundle) {
            unpacked = tempfile::tempdir().context(|| "creating a temporary directory".into())?;
            let file = std::fs::File::open(&req.bundle)
                .context(|| format!("opening {}", req.bundle.display()))?;
            let compressed = file
                .metadata()
                .context(|| format!("reading {}", req.bundle.display()))?
                .len();
            let limit = crate::archive::gunzip_bound(compressed);
            let tar = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file));
            let dir = unpacked.path().join("bundle");
            crate::install::extract_tar(tar, &dir, limit).map_err(|e| Error::BadBundle {
                path: req.bundle.clone(),
                reason: e.to_string(),
            })?;
            dir
        } else {
            req.bundle.clone()
        };
        let listing = BundleListing::scan(&bundle_dir)?;
        bundle_guard::check_bundle(&self.dir, &self.project, &bundle_dir, &listing)?;
        // Both tars live in files next to the project, not in memory:
        // memory stays bounded by the largest changed file.
        let work = self.work_dir()?;
        let tar_path = work.path().join("new.tar");
        let (mut manifest, tar_size, tar_hash) =
            write_hashed(&tar_path, |w| tar_bundle(&listing, w, progress))?;
        let layout = crate::tar_layout::TarLayout::read(&tar_path)?;

        let (old, previous_tar_hash) = match &previous {
            Some(prev) => {
                let (reusable, hash) = self.previous_tar(prev, work.path())?;
                (Some(reusable), Some(hash))
            }
            None => (None, None),
        };
        let archive_target = TargetFile::archive(app, &version);
        let archive_path = out_dir.join(archive_target.name());
        let (archive_stats, archive_size, archive_sha256) = write_hashed(&archive_path, |w| {
            write_archive(&tar_path, &layout, old.as_ref(), w, progress)
        })?;
        let archive = FileInfo {
            name: archive_target.name(),
            size: archive_size,
            sha256: archive_sha256,
        };
        manifest.tar_size = tar_size;
        manifest.archive_size = archive.size;

        let (patch, diff) = match (&old, req.skip_patch) {
            (Some(old), false) => {
                if progress.cancelled() {
                    return Err(Error::Cancelled);
                }
                let target = TargetFile::patch(app, &version);
                let path = out_dir.join(target.name());
                let ((_, stats), size, sha256) = write_hashed(&path, |w| {
                    crate::patch::create_files(&old.tar, &tar_path, w, progress)
                })?;
                // Never publish a patch that does not rebuild this tar:
                // apply it as a client will (streaming, a second or two
                // for 500 MB) before it is signed.
                let rebuilt =
                    crate::patch::apply_streaming(&old.tar, &path, &mut std::io::sink(), tar_size)?;
                if rebuilt != tar_hash {
                    return Err(Error::PatchDoesNotRebuild {
                        rebuilt,
                        expected: tar_hash,
                    });
                }
                let info = FileInfo {
                    name: target.name(),
                    size,
                    sha256,
                };
                (Some(info), Some(stats))
            }
            _ => (None, None),
        };
        drop(work);

        let mut targets = base.clone();
        targets.version = next(targets.version)?;
        targets.expires = match delegated_days {
            Some(days) => expiry_after_days(days),
            None => self.expiry(TopRole::Targets, None)?,
        };
        let archive_custom = ArchiveCustom {
            required: req.required,
            user: req.user.clone(),
            rollout: req
                .rollout
                .map(|percent| Rollout::new(percent, RolloutState::Rolling)),
            rollback_to: None,
        };
        insert_target(&mut targets, &archive, archive_custom.to_custom())?;
        if let Some(p) = &patch {
            let custom = PatchCustom {
                tar_size,
                tar_hash: tar_hash.clone(),
            };
            insert_target(&mut targets, p, custom.to_custom())?;
        }

        let after = releases(&targets, app)?;
        let patch_ratio = patch
            .as_ref()
            .map(|p| p.size as f64 / archive.size.max(1) as f64);
        let warnings = crate::policy::plan_warnings(
            previous
                .as_ref()
                .map(|p| &p.version)
                .zip(previous_tar_hash.as_deref()),
            &tar_hash,
            archive.size,
            patch.as_ref().map(|p| p.size),
        );
        let plan = AddPlan {
            app: self.project.app_name.clone(),
            platform: req.platform.clone(),
            version,
            previous: previous.map(|p| p.version),
            bundle_bytes: listing.content_bytes,
            tar_size,
            tar_hash,
            archive_stats,
            diff,
            archive,
            patch,
            patch_ratio,
            required: req.required,
            clients: client_downloads(&after),
            // A delegated role is no top-level role: only the cascade shows.
            metadata: cascade_versions(
                meta,
                if delegated_days.is_some() {
                    &[]
                } else {
                    &[TopRole::Targets]
                },
            )?,
            warnings,
        };
        Ok((plan, targets, role, manifest))
    }

    /// A scratch directory beside the project for the tars of a build
    /// (on the same disk, not in a RAM-backed /tmp).
    pub(super) fn work_dir(&self) -> Result<tempfile::TempDir> {
        let parent = self.dir.join(".tufa");
        ensure_dir(&parent)?;
        // Left by a build that crashed: a day is far longer than any
        // build, so a running one (a preview beside a publish) is spared.
        for e in std::fs::read_dir(&parent).into_iter().flatten().flatten() {
            let stale = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > std::time::Duration::from_secs(24 * 3600));
            if stale && e.file_name().to_string_lossy().starts_with("work-") {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
        tempfile::Builder::new()
            .prefix("work-")
            .tempdir_in(&parent)
            .context(|| format!("creating a directory in {}", parent.display()))
    }

    /// The uncompressed tar of release `prev`, decompressed into `work`
    /// from the repository's archive, which must match targets.json (that
    /// is the file clients hold), with the layout of its gzip members and
    /// the tar's sha256.
    pub(super) fn previous_tar(&self, prev: &Release, work: &Path) -> Result<(Reusable, String)> {
        let archive = self.repo().join("targets").join(&prev.archive);
        let tar = work.join("old.tar");
        let limit = crate::archive::gunzip_bound(prev.archive_size);
        let differs = || Error::VerificationFailed {
            file: format!("targets/{}", prev.archive),
            reason: "its size or sha256 differs from targets.json".into(),
        };
        let unpacked = match unpack_with_members(&archive, &tar, limit) {
            Ok(u) => u,
            // A damaged archive is reported as what it is: not the file
            // targets.json describes.
            Err(e) => {
                let info = file_info(&archive, prev.archive.clone())?;
                if info.size != prev.archive_size || info.sha256 != prev.archive_sha256 {
                    return Err(differs());
                }
                return Err(e);
            }
        };
        if unpacked.archive_len != prev.archive_size
            || unpacked.archive_sha256 != prev.archive_sha256
        {
            return Err(differs());
        }
        if let Some(p) = &prev.patch {
            if unpacked.tar_sha256 != p.tar_hash {
                return Err(Error::VerificationFailed {
                    file: format!("targets/{}", prev.archive),
                    reason: "its tar differs from the tar_hash of its patch".into(),
                });
            }
        }
        Ok((
            Reusable {
                archive,
                tar,
                members: unpacked.members,
            },
            unpacked.tar_sha256,
        ))
    }
}

/// A rollout percentage must lie in 0..=100.
pub(super) fn check_percent(percent: u8) -> Result<()> {
    if percent > 100 {
        return Err(Error::InvalidSetting {
            field: "rollout".into(),
            reason: format!("{percent}% is above 100%"),
        });
    }
    Ok(())
}

pub(super) fn is_archive(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    path.is_file() && (name.ends_with(".tar.gz") || name.ends_with(".tgz"))
}

/// Creates `path` and lets `fill` write it; returns what `fill` returned
/// with the file's size and sha256, hashed as it was written (a file just
/// written is not read back).
pub(super) fn write_hashed<T>(
    path: &Path,
    fill: impl FnOnce(&mut dyn std::io::Write) -> Result<T>,
) -> Result<(T, u64, String)> {
    let file = std::fs::File::create(path).context(|| format!("creating {}", path.display()))?;
    let mut w = HashingWriter::new(std::io::BufWriter::new(file));
    let value = fill(&mut w)?;
    let (size, sha256) = w
        .finish()
        .context(|| format!("writing {}", path.display()))?;
    Ok((value, size, sha256))
}

/// Size and sha256 of a file, read as a stream.
pub(super) fn file_info(path: &Path, name: String) -> Result<FileInfo> {
    let what = || format!("reading {}", path.display());
    let mut file = std::fs::File::open(path).context(what)?;
    let mut sink = HashingWriter::new(std::io::sink());
    std::io::copy(&mut file, &mut sink).context(what)?;
    let (size, sha256) = sink.finish().context(what)?;
    Ok(FileInfo { name, size, sha256 })
}

pub(super) fn insert_target(
    targets: &mut Targets,
    file: &FileInfo,
    custom: HashMap<String, serde_json::Value>,
) -> Result<()> {
    let name = TargetName::new(file.name.as_str()).map_err(|e| Error::InvalidTargetName {
        name: file.name.clone(),
        reason: e.to_string(),
    })?;
    let sha = hex::decode(&file.sha256).map_err(|e| Error::Encoding {
        what: format!("the sha256 of {}", file.name),
        reason: e.to_string(),
    })?;
    targets.targets.insert(
        name,
        Target {
            length: file.size,
            hashes: Hashes {
                sha256: sha.into(),
                _extra: HashMap::new(),
            },
            custom,
            _extra: HashMap::new(),
        },
    );
    Ok(())
}
