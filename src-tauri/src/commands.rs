//! The `#[tauri::command]` layer: convert arguments, call the engine (off
//! the UI thread), forward progress, map errors. No domain logic here.

use crate::error::{AppError, AppResult};
use crate::progress::EventProgress;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tauri::{AppHandle, State};
use tufa::metadata::TopRole;
use tufa::publisher::ceremony::{RequestStatus, SigningRequest};
use tufa::publisher::status::Status;
use tufa::publisher::{
    AddPlan, AddRequest, InitOptions, KeyStore, KeyStoreChoice, PublishOutcome, Publisher,
    RootChange,
};

/// What the app remembers while it runs.
pub struct AppState {
    pub project: Mutex<Option<PathBuf>>,
    pub cancel: Arc<AtomicBool>,
    pub data_dir: PathBuf,
    /// Open the demo repository when no other is given.
    pub auto_demo: bool,
}

impl AppState {
    pub(crate) fn publisher(&self) -> AppResult<Publisher> {
        let dir = self
            .project
            .lock()
            .map_err(|_| AppError::new("app", "internal state poisoned"))?
            .clone()
            .ok_or_else(|| AppError::new("no_project", "open or create a repository first"))?;
        Ok(Publisher::open(&dir)?)
    }

    fn set_project(&self, dir: &Path) -> AppResult<()> {
        *self
            .project
            .lock()
            .map_err(|_| AppError::new("app", "internal state poisoned"))? =
            Some(dir.to_path_buf());
        remember(&self.data_dir, dir);
        Ok(())
    }
}

fn recent_file(data_dir: &Path) -> PathBuf {
    data_dir.join("recent.json")
}

fn recent(data_dir: &Path) -> Vec<String> {
    std::fs::read(recent_file(data_dir))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn remember(data_dir: &Path, dir: &Path) {
    let mut list = recent(data_dir);
    let entry = dir.display().to_string();
    list.retain(|d| d != &entry);
    list.insert(0, entry);
    list.truncate(8);
    let _ = std::fs::create_dir_all(data_dir);
    if let Ok(bytes) = serde_json::to_vec(&list) {
        let _ = std::fs::write(recent_file(data_dir), bytes);
    }
}

/// Runs blocking engine work on a worker thread.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    tauri::async_runtime::spawn_blocking(f)
        .await
        .map_err(|e| AppError::new("app", format!("background task failed: {e}")))?
}

/// What the app shows before a project is open.
#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct AppInfo {
    version: String,
    recent: Vec<String>,
    project: Option<String>,
    demo_dir: String,
    auto_demo: bool,
    /// The engine's default expiry per role, for the create form.
    expiry_defaults: BTreeMap<TopRole, u32>,
}

#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> AppResult<AppInfo> {
    let project = state
        .project
        .lock()
        .ok()
        .and_then(|p| p.clone())
        .map(|p| p.display().to_string());
    Ok(AppInfo {
        version: crate::self_update::running_version(),
        recent: recent(&state.data_dir),
        project,
        demo_dir: crate::demo::demo_dir(&state.data_dir).display().to_string(),
        auto_demo: state.auto_demo,
        expiry_defaults: TopRole::ALL
            .into_iter()
            .map(|r| (r, tufa::policy::default_expiry_days(r)))
            .collect(),
    })
}

#[tauri::command]
pub async fn open_project(dir: String, state: State<'_, AppState>) -> AppResult<Status> {
    let path = PathBuf::from(dir.trim());
    let p = path.clone();
    let status = blocking(move || Ok(Publisher::open(&p)?.status()?)).await?;
    state.set_project(&path)?;
    Ok(status)
}

#[derive(Deserialize)]
pub struct CreateArgs {
    dir: String,
    app: String,
    key_store: KeyStoreChoice,
    expires: BTreeMap<TopRole, u32>,
    thresholds: BTreeMap<TopRole, u64>,
    /// Root keys as files encrypted with this passphrase (to back up and
    /// move offline); none or empty: root keys go with the others.
    #[serde(default)]
    root_passphrase: Option<String>,
}

#[tauri::command]
pub async fn create_project(args: CreateArgs, state: State<'_, AppState>) -> AppResult<Status> {
    let dir = PathBuf::from(args.dir.trim());
    if dir.as_os_str().is_empty() {
        return Err(AppError::new(
            "project",
            "choose a folder for the repository",
        ));
    }
    let d = dir.clone();
    let status = blocking(move || {
        let mut opts = InitOptions::new(args.app.trim());
        opts.expires_days = args.expires;
        opts.thresholds = args.thresholds;
        opts.key_store = args.key_store.resolve().store;
        opts.root_passphrase = args
            .root_passphrase
            .filter(|p| !p.is_empty())
            .map(|p| tufa::publisher::keys::Secret::new(p.into_bytes()));
        let (publisher, _) = Publisher::init(&d, &opts)?;
        Ok(publisher.status()?)
    })
    .await?;
    state.set_project(&dir)?;
    Ok(status)
}

#[tauri::command]
pub async fn create_demo(state: State<'_, AppState>) -> AppResult<Status> {
    let dir = crate::demo::demo_dir(&state.data_dir);
    let d = dir.clone();
    let project = blocking(move || {
        if !d.join("project/tufa.toml").exists() {
            if d.exists() {
                std::fs::remove_dir_all(&d)
                    .map_err(|e| AppError::new("io", format!("clearing {}: {e}", d.display())))?;
            }
            crate::demo::create(&d)?;
        }
        Ok(d.join("project"))
    })
    .await?;
    let p = project.clone();
    let status = blocking(move || Ok(Publisher::open(&p)?.status()?)).await?;
    state.set_project(&project)?;
    Ok(status)
}

#[tauri::command]
pub async fn status(state: State<'_, AppState>) -> AppResult<Status> {
    let publisher = state.publisher()?;
    blocking(move || Ok(publisher.status()?)).await
}

#[tauri::command]
pub async fn suggest_version(
    bundle: Option<String>,
    state: State<'_, AppState>,
) -> AppResult<String> {
    let publisher = state.publisher()?;
    blocking(move || {
        let bundle = bundle
            .map(|b| PathBuf::from(b.trim()))
            .filter(|b| !b.as_os_str().is_empty());
        Ok(publisher.suggest_version(bundle.as_deref())?)
    })
    .await
}

#[derive(Deserialize, Clone)]
pub struct ReleaseArgs {
    bundle: String,
    version: String,
    required: bool,
    notes: String,
}

impl ReleaseArgs {
    fn request(&self) -> AddRequest {
        let mut req = AddRequest::new(self.bundle.trim(), self.version.trim());
        req.required = self.required;
        req.user = tufa::policy::notes_metadata(&self.notes);
        req
    }
}

#[tauri::command]
pub async fn plan_release(
    args: ReleaseArgs,
    app: AppHandle,
    state: State<'_, AppState>,
) -> AppResult<AddPlan> {
    let publisher = state.publisher()?;
    let cancel = state.cancel.clone();
    blocking(move || {
        let mut progress = EventProgress::new(app, cancel);
        Ok(publisher.plan_add(&args.request(), &mut progress)?)
    })
    .await
}

/// The quick estimate shown while the exact preview is computed.
#[tauri::command]
pub async fn estimate_release(
    bundle: String,
    state: State<'_, AppState>,
) -> AppResult<tufa::publisher::AddEstimate> {
    let publisher = state.publisher()?;
    blocking(move || Ok(publisher.estimate_add(Path::new(bundle.trim()))?)).await
}

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Added {
    plan: AddPlan,
    outcome: PublishOutcome,
    repository: String,
}

#[tauri::command]
pub async fn add_release(
    args: ReleaseArgs,
    app: AppHandle,
    state: State<'_, AppState>,
) -> AppResult<Added> {
    let publisher = state.publisher()?;
    let cancel = state.cancel.clone();
    blocking(move || {
        let mut progress = EventProgress::new(app, cancel);
        let (plan, outcome) = publisher.add(&args.request(), &mut progress)?;
        Ok(Added {
            plan,
            outcome,
            repository: publisher.repo().display().to_string(),
        })
    })
    .await
}

#[tauri::command]
pub fn cancel(state: State<'_, AppState>) {
    state.cancel.store(true, Ordering::SeqCst);
}

#[tauri::command]
pub async fn sign_role(
    role: TopRole,
    expires_days: Option<u32>,
    state: State<'_, AppState>,
) -> AppResult<PublishOutcome> {
    let publisher = state.publisher()?;
    blocking(move || Ok(publisher.sign(role, expires_days)?)).await
}

#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChangeArgs {
    Refresh {
        expires_days: Option<u32>,
    },
    AddKey {
        role: TopRole,
        name: Option<String>,
        key_store: KeyStore,
        owner: Option<String>,
        /// A custodian's public key file: the key is theirs, nothing is
        /// generated here.
        #[serde(default)]
        public_key: Option<String>,
    },
    ReplaceKey {
        name: String,
        /// Absent: the new key keeps the old key's custody (the engine
        /// decides).
        #[serde(default)]
        custody: Option<tufa::publisher::Custody>,
        /// The old key's passphrase, when it is an encrypted file (its
        /// replacement is encrypted with it).
        #[serde(default)]
        passphrase: Option<String>,
    },
    RevokeKey {
        name: String,
    },
    Threshold {
        role: TopRole,
        threshold: u64,
    },
}

#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RequestView {
    path: String,
    app: String,
    base_version: u64,
    status: RequestStatus,
}

fn view(path: &Path, req: &SigningRequest) -> RequestView {
    RequestView {
        path: path.display().to_string(),
        app: req.app.clone(),
        base_version: req.base_version,
        status: req.status(),
    }
}

#[tauri::command]
pub async fn root_change(change: ChangeArgs, state: State<'_, AppState>) -> AppResult<RequestView> {
    let mut publisher = state.publisher()?;
    blocking(move || {
        let (change, expires) = match change {
            ChangeArgs::Refresh { expires_days } => (RootChange::Refresh, expires_days),
            ChangeArgs::AddKey {
                role,
                name,
                key_store,
                owner,
                public_key,
            } => (
                RootChange::AddKey {
                    role,
                    name: name.filter(|n| !n.trim().is_empty()),
                    store: key_store,
                    owner: owner.filter(|o| !o.trim().is_empty()),
                    public_key: match public_key.filter(|p| !p.trim().is_empty()) {
                        Some(p) => Some(tufa::publisher::read_public_key(Path::new(p.trim()))?),
                        None => None,
                    },
                },
                None,
            ),
            ChangeArgs::ReplaceKey {
                name,
                custody,
                passphrase,
            } => {
                if let Some(p) = passphrase.filter(|p| !p.is_empty()) {
                    publisher =
                        publisher.with_keys(Arc::new(tufa::publisher::keys::KnownPassphrase(
                            tufa::publisher::keys::Secret::new(p.into_bytes()),
                        )));
                }
                (RootChange::ReplaceKey { name, custody }, None)
            }
            ChangeArgs::RevokeKey { name } => (RootChange::RevokeKey { name }, None),
            ChangeArgs::Threshold { role, threshold } => {
                (RootChange::Threshold { role, threshold }, None)
            }
        };
        let (path, req) = publisher.root_request(&change, expires)?;
        Ok(view(&path, &req))
    })
    .await
}

fn request_paths(paths: &[String]) -> Vec<PathBuf> {
    paths
        .iter()
        .map(|p| PathBuf::from(p.trim()))
        .filter(|p| !p.as_os_str().is_empty())
        .collect()
}

#[tauri::command]
pub async fn request_status(paths: Vec<String>) -> AppResult<RequestView> {
    blocking(move || {
        let paths = request_paths(&paths);
        let req = SigningRequest::load_merged(&paths)?;
        Ok(view(&paths[0], &req))
    })
    .await
}

/// A path the user typed: empty refused with `what` in words.
fn typed_path(p: &str, what: &str) -> AppResult<PathBuf> {
    let p = PathBuf::from(p.trim());
    if p.as_os_str().is_empty() {
        return Err(AppError::new(
            "missing_input",
            format!("choose {what} first"),
        ));
    }
    Ok(p)
}

/// Writes a copy of the pending request for a custodian (a USB stick, a
/// mail attachment): checked as a request first, written atomically.
#[tauri::command]
pub async fn save_request_copy(path: String, dest: String) -> AppResult<String> {
    blocking(move || {
        let path = typed_path(&path, "the request file")?;
        let dest = typed_path(&dest, "where to save the copy")?;
        if dest == path {
            return Err(AppError::new(
                "same_file",
                "the copy would replace the request itself: choose another place",
            ));
        }
        SigningRequest::load(&path)?.save(&dest)?;
        Ok(dest.display().to_string())
    })
    .await
}

/// A custodian's own key ("I hold a key → Create my key"): the
/// encrypted private key at `path` and its public key beside it, for the
/// publisher. No project needed.
#[tauri::command]
pub async fn create_held_key(
    path: String,
    passphrase: String,
) -> AppResult<tufa::publisher::CustodianKey> {
    blocking(move || {
        let path = typed_path(&path, "where to keep your key")?;
        if passphrase.is_empty() {
            return Err(AppError::new(
                "no_passphrase",
                "choose a passphrase: your key file is encrypted with it",
            ));
        }
        Ok(tufa::publisher::new_custodian_key(
            &path,
            &tufa::publisher::keys::Secret::new(passphrase.into_bytes()),
        )?)
    })
    .await
}

/// What merging a returned copy did.
#[derive(Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Merged {
    /// The pending request after the merge.
    view: RequestView,
    /// Signatures the copy added (valid ones not already there).
    added: usize,
}

/// Takes the signatures of a copy a custodian sent back into the pending
/// request (only valid signatures on exactly the same change; another
/// change is refused), and saves it.
#[tauri::command]
pub async fn merge_request_copy(path: String, copy: String) -> AppResult<Merged> {
    blocking(move || {
        let path = typed_path(&path, "the request file")?;
        let copy = typed_path(&copy, "the signed copy")?;
        let mut req = SigningRequest::load(&path)?;
        let added = req.merge(&SigningRequest::load(&copy)?)?;
        if added > 0 {
            req.save(&path)?;
        }
        Ok(Merged {
            view: view(&path, &req),
            added,
        })
    })
    .await
}

/// Signs a request with this project's root keys at hand (e.g. the
/// publisher's own share of a two-of-three root).
#[tauri::command]
pub async fn sign_request_here(
    path: String,
    fingerprint: String,
    state: State<'_, AppState>,
) -> AppResult<RequestView> {
    let publisher = state.publisher()?;
    blocking(move || {
        let path = PathBuf::from(path.trim());
        let mut req = SigningRequest::load(&path)?;
        req.confirm(&fingerprint)?;
        publisher.sign_request(&mut req)?;
        req.save(&path)?;
        Ok(view(&path, &req))
    })
    .await
}

#[tauri::command]
pub async fn publish_request(
    paths: Vec<String>,
    state: State<'_, AppState>,
) -> AppResult<PublishOutcome> {
    let publisher = state.publisher()?;
    blocking(move || {
        let all = request_paths(&paths)
            .iter()
            .map(|p| SigningRequest::load(p))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(publisher.root_publish(&all)?)
    })
    .await
}

/// Custodian mode: sign a request with a key file (any supported format)
/// or a keyring entry. Needs no repository and no network.
#[tauri::command]
pub async fn custodian_sign(
    request: String,
    key_file: Option<String>,
    keyring_entry: Option<String>,
    passphrase: Option<String>,
    fingerprint: String,
) -> AppResult<RequestView> {
    blocking(move || {
        use tufa::publisher::keys;
        let path = PathBuf::from(request.trim());
        let mut req = SigningRequest::load(&path)?;
        // The custodian confirmed the change with this fingerprint on
        // screen: sign only if the file still is that change.
        req.confirm(&fingerprint)?;
        // The passphrase the custodian typed, if any: the engine asks no
        // one else (no terminal, no environment in the app).
        let typed: Box<dyn keys::KeyProvider> = match passphrase.filter(|p| !p.is_empty()) {
            Some(p) => Box::new(keys::KnownPassphrase(keys::Secret::new(p.into_bytes()))),
            None => Box::new(keys::NoSecrets),
        };
        let signer = match (
            key_file.filter(|k| !k.trim().is_empty()),
            keyring_entry.filter(|k| !k.trim().is_empty()),
        ) {
            (Some(file), _) => keys::signer_from_file(Path::new(file.trim()), typed.as_ref())?,
            (None, Some(entry)) => keys::signer_from_keyring_entry(entry.trim(), typed.as_ref())?,
            (None, None) => {
                return Err(AppError::new(
                    "missing_key",
                    "choose a key file or a keyring entry to sign with",
                ))
            }
        };
        req.sign(&signer)?;
        req.save(&path)?;
        Ok(view(&path, &req))
    })
    .await
}

#[tauri::command]
pub async fn adopt_tufup(
    dir: String,
    keys_dir: Option<String>,
    state: State<'_, AppState>,
) -> AppResult<Status> {
    let d = PathBuf::from(dir.trim());
    let dd = d.clone();
    let status = blocking(move || {
        let keys_to = match keys_dir.filter(|k| !k.trim().is_empty()) {
            Some(k) => tufa::publisher::adopt::AdoptKeys::Files(k.into()),
            None => tufa::publisher::adopt::AdoptKeys::Keyring,
        };
        let (publisher, _) = Publisher::adopt_tufup(
            &dd,
            &keys_to,
            std::sync::Arc::new(tufa::publisher::keys::NoSecrets),
        )?;
        Ok(publisher.status()?)
    })
    .await?;
    state.set_project(&d)?;
    Ok(status)
}

/// A native folder or file dialog. Paths can always be typed or dropped
/// too, so nothing depends on the dialog; the dialog never blocks the
/// window (see `dialog`).
#[tauri::command]
pub async fn pick_path(folder: bool, app: AppHandle) -> AppResult<Option<String>> {
    crate::dialog::pick(&app, folder).await
}

/// Uploads the repository (targets first, timestamp last) to `to`
/// (s3://BUCKET/PREFIX or a directory; default: `[publish]` in tufa.toml).
#[tauri::command]
pub async fn upload(
    to: Option<String>,
    endpoint: Option<String>,
    app: AppHandle,
    state: State<'_, AppState>,
) -> AppResult<tufa::publisher::upload::UploadReport> {
    let publisher = state.publisher()?;
    let target = publisher.destination(to.as_deref(), endpoint.as_deref(), None)?;
    let mut progress = EventProgress::new(app, state.cancel.clone());
    Ok(publisher
        .upload_with_progress(&target.destination, &target.s3, &mut progress)
        .await?)
}
