//! Taking releases back: the latest one, or all but the newest N.

use super::*;

impl Publisher {
    /// Removes the newest release (archive and patch) from the metadata and
    /// the repository.
    pub fn remove_latest(&self) -> Result<(AppVersion, PublishOutcome)> {
        self.remove_latest_of(None)
    }

    /// Removes the newest release of `platform` (none: the platform-less
    /// stream), archive and patch.
    pub fn remove_latest_of(&self, platform: Option<&str>) -> Result<(AppVersion, PublishOutcome)> {
        if let Some(p) = platform {
            crate::target::validate_platform(p)?;
        }
        let session = self.session()?;
        self.ensure_nothing_staged()?;
        let app = &crate::target::stream_name(&self.project.app_name, platform);
        let all = releases(&session.meta.targets.signed, app)?;
        let latest = all.last().ok_or_else(|| Error::NoReleases {
            app: app.to_string(),
        })?;
        let names: Vec<String> = std::iter::once(latest.archive.clone())
            .chain(latest.patch.as_ref().map(|p| p.name.clone()))
            .collect();
        let outcome = self.remove_targets(&session, &names)?;
        Ok((latest.version.clone(), outcome))
    }

    /// Keeps the newest `keep` releases and removes the archives and patches
    /// of all older ones from metadata and repository. The kept releases'
    /// patches stay, so clients on every kept release still update by
    /// patch; clients on a removed release download the full archive.
    /// With platforms, each platform keeps its newest `keep`.
    pub fn prune(&self, keep: usize) -> Result<(Vec<AppVersion>, PublishOutcome)> {
        if keep == 0 {
            return Err(Error::InvalidSetting {
                field: "keep".into(),
                reason: "keep at least one release".into(),
            });
        }
        let session = self.session()?;
        self.ensure_nothing_staged()?;
        let targets = &session.meta.targets.signed;
        let app = &self.project.app_name;
        let streams = std::iter::once(app.clone()).chain(
            crate::target::platforms_in(targets.targets.keys().map(|k| k.raw()), app)
                .into_iter()
                .map(|p| crate::target::stream_name(app, Some(&p))),
        );
        let (mut most, mut removed) = (0, Vec::new());
        for stream in streams {
            let all = releases(targets, &stream)?;
            most = most.max(all.len());
            if all.len() > keep {
                removed.extend_from_slice(&all[..all.len() - keep]);
            }
        }
        if removed.is_empty() {
            return Err(Error::NothingToRemove {
                releases: most,
                keep,
            });
        }
        let names: Vec<String> = removed
            .iter()
            .flat_map(|r| {
                std::iter::once(r.archive.clone()).chain(r.patch.as_ref().map(|p| p.name.clone()))
            })
            .collect();
        let outcome = self.remove_targets(&session, &names)?;
        let mut versions: Vec<AppVersion> = removed.iter().map(|r| r.version.clone()).collect();
        versions.sort();
        versions.dedup();
        Ok((versions, outcome))
    }

    /// Removes target files from targets.json (new version, signed) and
    /// publishes; the files go after the metadata.
    pub(super) fn remove_targets(
        &self,
        session: &Session,
        names: &[String],
    ) -> Result<PublishOutcome> {
        let mut targets = session.meta.targets.signed.clone();
        for name in names {
            let key = TargetName::new(name.as_str()).map_err(|e| Error::InvalidTargetName {
                name: name.clone(),
                reason: e.to_string(),
            })?;
            targets.targets.remove(&key);
        }
        targets.version = next(targets.version)?;
        targets.expires = self.expiry(TopRole::Targets, None)?;
        let signers = signers_for(
            &self.project,
            &self.dir,
            self.keys.as_ref(),
            TopRole::Targets,
        )?
        .require_one()?;
        self.write_staged_role(TopRole::Targets, &sign_fresh(targets, &signers.available)?)?;
        self.publish_staged(session, &BTreeMap::new(), &BTreeSet::new())
    }
}
