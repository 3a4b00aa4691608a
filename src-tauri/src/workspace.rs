//! Commands of the release workspace: the staged change (sign, discard),
//! keys (export, move), taking releases back with their consequence shown
//! first, local vs. published, the saved destination, refresh, and the
//! check of a published copy given as a URL or a folder. Thin: the engine
//! decides, these convert and run it off the UI thread.

use crate::commands::{blocking, AppState};
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tauri::State;
use tufa::publisher::keys::{self, KeyProvider, Secret, Signer};
use tufa::publisher::pending::StagedChange;
use tufa::publisher::published::PublishedState;
use tufa::publisher::refresh::RefreshReport;
use tufa::publisher::removal::RemovalPreview;
use tufa::publisher::upload::UploadReport;
use tufa::publisher::{KeyStore, PublishOutcome, Publisher};

fn nonblank(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// What the person typed as a passphrase, for the engine's key loading.
fn typed(passphrase: Option<String>) -> Box<dyn KeyProvider> {
    match passphrase.filter(|p| !p.is_empty()) {
        Some(p) => Box::new(keys::KnownPassphrase(Secret::new(p.into_bytes()))),
        None => Box::new(keys::NoSecrets),
    }
}

#[tauri::command]
pub async fn staged_change(state: State<'_, AppState>) -> AppResult<StagedChange> {
    let publisher = state.publisher()?;
    blocking(move || Ok(publisher.staged_change()?)).await
}

/// Signs the staged change with this computer's keys and, when given, a
/// key file or keyring entry (its passphrase as typed), then publishes it
/// if it has enough signatures.
#[tauri::command]
pub async fn sign_staged(
    key_file: Option<String>,
    keyring_entry: Option<String>,
    passphrase: Option<String>,
    state: State<'_, AppState>,
) -> AppResult<PublishOutcome> {
    let publisher = state.publisher()?;
    blocking(move || {
        let provider = typed(passphrase);
        let extra: Option<Signer> = match (nonblank(key_file), nonblank(keyring_entry)) {
            (Some(file), _) => Some(keys::signer_from_file(Path::new(&file), provider.as_ref())?),
            (None, Some(entry)) => {
                Some(keys::signer_from_keyring_entry(&entry, provider.as_ref())?)
            }
            (None, None) => None,
        };
        Ok(publisher.sign_staged(extra.as_ref())?)
    })
    .await
}

#[tauri::command]
pub async fn discard_staged(state: State<'_, AppState>) -> AppResult<bool> {
    let publisher = state.publisher()?;
    blocking(move || Ok(publisher.discard()?)).await
}

/// Writes an encrypted copy of key `name` to `dest` (a backup, or a key
/// file for a custodian); `key_passphrase` opens the key when it is an
/// encrypted file. An empty passphrase for the copy is refused: a backup
/// in clear text is the copy that leaks.
#[tauri::command]
pub async fn export_key(
    name: String,
    dest: String,
    passphrase: String,
    key_passphrase: Option<String>,
    state: State<'_, AppState>,
) -> AppResult<String> {
    let publisher = state.publisher()?.with_keys(typed(key_passphrase).into());
    blocking(move || {
        let dest = PathBuf::from(dest.trim());
        if dest.as_os_str().is_empty() {
            return Err(AppError::new("no_path", "choose where to save the copy"));
        }
        if passphrase.is_empty() {
            return Err(AppError::new(
                "no_passphrase",
                "choose a passphrase for the copy: it is encrypted with it",
            ));
        }
        let written =
            publisher.export_key(&name, &dest, Some(&Secret::new(passphrase.into_bytes())))?;
        Ok(written.display().to_string())
    })
    .await
}

/// Moves key `name` to the OS keyring or to a key file (encrypted when a
/// passphrase is given); returns where it lives now.
#[tauri::command]
pub async fn move_key(
    name: String,
    to: KeyStore,
    passphrase: Option<String>,
    state: State<'_, AppState>,
) -> AppResult<String> {
    let mut publisher = state.publisher()?;
    blocking(move || {
        let pass = passphrase
            .filter(|p| !p.is_empty())
            .map(|p| Secret::new(p.into_bytes()));
        Ok(publisher.move_key(&name, to, pass.as_ref())?.to_string())
    })
    .await
}

/// Remove the latest release of a stream (a platform's, or the
/// platform-less one), or keep the newest `keep` of every stream.
#[derive(Deserialize, Clone)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Removal {
    Latest {
        #[serde(default)]
        platform: Option<String>,
    },
    Prune {
        keep: usize,
    },
}

#[tauri::command]
pub async fn preview_removal(
    removal: Removal,
    state: State<'_, AppState>,
) -> AppResult<RemovalPreview> {
    let publisher = state.publisher()?;
    blocking(move || {
        Ok(match removal {
            Removal::Latest { platform } => {
                publisher.preview_remove_latest_of(platform.as_deref())?
            }
            Removal::Prune { keep } => publisher.preview_prune(keep)?,
        })
    })
    .await
}

#[tauri::command]
pub async fn remove_releases(
    removal: Removal,
    state: State<'_, AppState>,
) -> AppResult<PublishOutcome> {
    let publisher = state.publisher()?;
    blocking(move || {
        Ok(match removal {
            Removal::Latest { platform } => publisher.remove_latest_of(platform.as_deref())?.1,
            Removal::Prune { keep } => publisher.prune(keep)?.1,
        })
    })
    .await
}

#[tauri::command]
pub async fn published_state(state: State<'_, AppState>) -> AppResult<PublishedState> {
    let publisher = state.publisher()?;
    blocking(move || Ok(publisher.published_state()?)).await
}

/// Saves where uploads go (`[publish]` in tufa.toml).
#[tauri::command]
pub async fn save_destination(
    to: String,
    endpoint: Option<String>,
    region: Option<String>,
    state: State<'_, AppState>,
) -> AppResult<PublishedState> {
    let mut publisher = state.publisher()?;
    blocking(move || {
        publisher.save_destination(&to, endpoint.as_deref(), region.as_deref())?;
        Ok(publisher.published_state()?)
    })
    .await
}

/// What "Refresh expiring metadata" did.
#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Refreshed {
    refresh: RefreshReport,
    /// The upload that followed, when a destination is saved.
    upload: Option<UploadReport>,
    /// Where it went.
    to: Option<String>,
}

/// Re-signs what is inside its warning window, then uploads to the saved
/// destination when the published copy lags.
#[tauri::command]
pub async fn refresh_metadata(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> AppResult<Refreshed> {
    let publisher = state.publisher()?;
    let (publisher, refresh) = blocking(move || {
        let report = publisher.refresh()?;
        Ok((publisher, report))
    })
    .await?;
    let target = match publisher.destination(None, None, None) {
        Ok(t) => Some(t),
        Err(tufa::Error::NoDestination) => None,
        Err(e) => return Err(e.into()),
    };
    let lagging = {
        let p = Publisher::open(publisher.dir())?;
        blocking(move || Ok(p.published_state()?.changes() > 0)).await?
    };
    let upload = match &target {
        Some(t) if refresh.changed() || lagging => {
            let mut progress = crate::progress::EventProgress::new(app, state.cancel.clone());
            Some(
                publisher
                    .upload_with_progress(&t.destination, &t.s3, &mut progress)
                    .await?,
            )
        }
        _ => None,
    };
    Ok(Refreshed {
        refresh,
        upload,
        to: target.map(|t| t.shown),
    })
}

/// Checks a published copy as a client would: a URL, or a folder (served
/// read-only on 127.0.0.1 for the length of the check).
#[tauri::command]
pub async fn verify_published(
    url: String,
    app: tauri::AppHandle,
    state: State<'_, AppState>,
) -> AppResult<tufa::client::verify::VerifyReport> {
    // The open project's periods judge expiry, as its status does; without
    // a project, as a client would.
    let options = tufa::client::verify::VerifyOptions {
        periods: state
            .publisher()
            .map(|p| p.expiry_periods())
            .unwrap_or_default(),
    };
    let mut progress = crate::progress::EventProgress::new(app, state.cancel.clone());
    let given = url.trim().to_string();
    if given.is_empty() {
        return Err(AppError::new(
            "no_url",
            "give the address clients use (https://…) or the folder you uploaded to",
        ));
    }
    if given.contains("://") {
        return Ok(tufa::client::verify::verify_repository_with(
            &given,
            None,
            tufa::client::HttpOptions::default(),
            &options,
            &mut progress,
        )
        .await?);
    }
    let dir = PathBuf::from(&given);
    if !dir.is_dir() {
        return Err(AppError::new(
            "not_found",
            format!("{given} is neither an address (https://…) nor a folder on this computer"),
        ));
    }
    let server = crate::folder_server::FolderServer::start(dir)
        .map_err(|e| AppError::new("io", format!("serving {given} for the check: {e}")))?;
    let mut report = tufa::client::verify::verify_repository_with(
        &server.url(),
        None,
        tufa::client::HttpOptions::default(),
        &options,
        &mut progress,
    )
    .await?;
    // Say what was checked, not the temporary address.
    report.url = given;
    Ok(report)
}

/// A change of a release's staged rollout, as the app sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RolloutArgs {
    /// Offer it to this share of installs (100: to every install).
    Percent { percent: u8 },
    /// No new installs.
    Pause,
    /// Withdraw it; its clients go back to the last good release.
    Pull,
}

/// The releases whose rollout changed and what publishing did.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RolloutSet {
    /// One entry per platform (or the platform-less stream) changed.
    pub changed: Vec<tufa::publisher::rollout::RolloutChanged>,
    /// Published or staged.
    pub outcome: PublishOutcome,
}

/// Changes the rollout of release `version` of one stream (`platform`'s,
/// or the platform-less one: the app acts on the row it shows) and
/// publishes it locally.
#[tauri::command]
pub async fn set_rollout(
    version: String,
    platform: Option<String>,
    change: RolloutArgs,
    state: State<'_, AppState>,
) -> AppResult<RolloutSet> {
    use tufa::publisher::rollout::RolloutChange;
    let publisher = state.publisher()?;
    let change = match change {
        RolloutArgs::Percent { percent } => RolloutChange::Percent(percent),
        RolloutArgs::Pause => RolloutChange::Pause,
        RolloutArgs::Pull => RolloutChange::Pull,
    };
    let platform = nonblank(platform);
    blocking(move || {
        let streams = tufa::publisher::rollout::Streams::Only(platform.as_deref());
        let (changed, outcome) = publisher.set_rollout_in(&version, streams, change)?;
        Ok(RolloutSet { changed, outcome })
    })
    .await
}

/// What pulling release `version` of one stream (`platform`'s, or the
/// platform-less one) would do (buckets affected, where its clients go
/// back to), for the confirmation.
#[tauri::command]
pub async fn preview_pull(
    version: String,
    platform: Option<String>,
    state: State<'_, AppState>,
) -> AppResult<Vec<tufa::policy::PullPreview>> {
    let publisher = state.publisher()?;
    let platform = nonblank(platform);
    blocking(move || {
        let streams = tufa::publisher::rollout::Streams::Only(platform.as_deref());
        Ok(publisher.preview_pull_in(&version, streams)?)
    })
    .await
}

/// Changes a role's re-signing period in tufa.toml (the engine checks the
/// bounds and says when it takes effect; its remedy re-signs now).
#[tauri::command]
pub async fn set_expiry_period(
    role: tufa::metadata::TopRole,
    days: u32,
    state: State<'_, AppState>,
) -> AppResult<tufa::publisher::periods::PeriodChange> {
    let mut publisher = state.publisher()?;
    blocking(move || Ok(publisher.set_expiry_period(role, days)?)).await
}
