//! Commands of the Destinations section: S3 credentials in the OS keyring
//! (never in tufa.toml) and "Test connection". Thin: the engine
//! (`tufa::publisher::destinations`) decides; these resolve the
//! destination and run it off the UI thread.
//!
//! For the front end (types in `ui/src/generated/`). Every command takes
//! the destination as the upload does: `to` (`s3://BUCKET/PREFIX` or a
//! folder; `null` or blank: the saved `[publish]` destination), `endpoint`
//! and `region` (`null`: the saved ones). Errors are the usual `AppError`
//! (`{code, message, remedy, remedy_label}`).
//!
//! - `destination_credentials({to, endpoint, region}) -> CredentialStatus`:
//!   where an upload's credentials would come from now: `source` is
//!   `environment`, `keyring`, `missing` or `not_needed` (a folder);
//!   `saved` whether the keyring holds some; `access_key_id` masked
//!   (`…WXYZ`); `keyring_problem` when the keyring cannot be read. Show it
//!   beside an S3 destination; "missing" wants the credentials form.
//! - `save_credentials({to, endpoint, region, accessKeyId, secretAccessKey})
//!   -> CredentialStatus`: stores the pair in the OS keyring, replacing any
//!   saved one (blank or pasted-with-line-break keys: error code
//!   `invalid_credentials`; no keyring: `keyring_unavailable`). Clear the
//!   secret field afterwards; the secret is never returned.
//! - `forget_credentials({to, endpoint, region}) -> CredentialStatus`:
//!   removes them (none saved is fine).
//! - `test_destination({to, endpoint, region}) -> ConnectionTest`: "Test
//!   connection". Never an error for a failed connection: `ok`, `summary`
//!   (a sentence to show as is), `outcome.kind` (`ok`, `no_credentials`,
//!   `wrong_credentials`, `access_denied`, `no_such_bucket`, `unreachable`,
//!   `not_a_folder`, `not_writable`, `failed`), `remedy` (`save_credentials`
//!   → open the credentials form; `edit_destination` → focus the address
//!   fields), `credentials` (where they came from), `millis`. Takes up to
//!   ~25 s for an endpoint that does not answer: show it busy.
//!
//! An upload without credentials fails with code `no_credentials` and
//! remedy `save_credentials` (`{kind, destination}`): the same form.

use crate::commands::{blocking, AppState};
use crate::error::AppResult;
use tauri::State;
use tufa::publisher::destinations::{self, ConnectionTest, CredentialStatus, S3Credentials};
use tufa::publisher::keys::Secret;
use tufa::publisher::upload::Target;

/// The destination the arguments name, resolved by the engine (saved
/// settings, relative folders from the project folder).
fn target(
    state: &State<'_, AppState>,
    to: Option<String>,
    endpoint: Option<String>,
    region: Option<String>,
) -> AppResult<Target> {
    let publisher = state.publisher()?;
    Ok(publisher.destination(to.as_deref(), endpoint.as_deref(), region.as_deref())?)
}

#[tauri::command]
pub async fn destination_credentials(
    to: Option<String>,
    endpoint: Option<String>,
    region: Option<String>,
    state: State<'_, AppState>,
) -> AppResult<CredentialStatus> {
    let target = target(&state, to, endpoint, region)?;
    blocking(move || Ok(destinations::credential_status(&target)?)).await
}

#[tauri::command]
pub async fn save_credentials(
    to: Option<String>,
    endpoint: Option<String>,
    region: Option<String>,
    access_key_id: String,
    secret_access_key: String,
    state: State<'_, AppState>,
) -> AppResult<CredentialStatus> {
    let target = target(&state, to, endpoint, region)?;
    let secret = Secret::new(secret_access_key.into_bytes());
    blocking(move || {
        let creds = S3Credentials::new(&access_key_id, secret)?;
        Ok(destinations::save_credentials(&target, &creds)?)
    })
    .await
}

#[tauri::command]
pub async fn forget_credentials(
    to: Option<String>,
    endpoint: Option<String>,
    region: Option<String>,
    state: State<'_, AppState>,
) -> AppResult<CredentialStatus> {
    let target = target(&state, to, endpoint, region)?;
    blocking(move || Ok(destinations::forget_credentials(&target)?)).await
}

#[tauri::command]
pub async fn test_destination(
    to: Option<String>,
    endpoint: Option<String>,
    region: Option<String>,
    state: State<'_, AppState>,
) -> AppResult<ConnectionTest> {
    let target = target(&state, to, endpoint, region)?;
    Ok(destinations::test_connection(&target).await?)
}
