//! The CLI's key provider: passphrases and replacement keys from the
//! environment (CI) or typed at the terminal. The engine asks; only the
//! CLI knows about environment variables and prompts.

use crate::output::{key_var, passphrase_var};
use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;
use tufa::publisher::keys::{KeyProvider, ProvidedKey, Secret};
use tufa::publisher::Publisher;

/// Passphrases from `TUFA_PASSPHRASE_<NAME>`, then `TUFA_PASSPHRASE`,
/// then a prompt when a person is at the terminal (never from an
/// argument); key text from `TUFA_KEY_<NAME>`, which replaces key NAME
/// wherever the project keeps it.
#[derive(Debug, Clone, Copy, Default)]
pub struct CliKeys;

fn env_secret(var: &str) -> Option<Secret> {
    std::env::var(var).ok().map(|v| Secret::new(v.into_bytes()))
}

impl KeyProvider for CliKeys {
    fn key(&self, name: &str) -> Option<ProvidedKey> {
        let var = key_var(name);
        env_secret(&var).map(|pem| ProvidedKey {
            pem,
            origin: format!("environment variable {var}"),
        })
    }

    fn variable(&self, var: &str) -> Option<Secret> {
        env_secret(var)
    }

    fn passphrase(&self, name: &str, origin: &str) -> Option<Secret> {
        for var in [passphrase_var(name), "TUFA_PASSPHRASE".to_string()] {
            if let Some(p) = env_secret(&var) {
                return Some(p);
            }
        }
        if !std::io::stdin().is_terminal() {
            return None;
        }
        match rpassword::prompt_password(format!("Passphrase for key '{name}' ({origin}): ")) {
            Ok(typed) => Some(Secret::new(typed.into_bytes())),
            Err(e) => {
                eprintln!("cannot read a passphrase: {e}");
                None
            }
        }
    }
}

/// The CLI's provider, shared.
pub fn provider() -> Arc<dyn KeyProvider> {
    Arc::new(CliKeys)
}

/// Opens the project in `dir` with the CLI's key provider.
pub fn open(dir: &Path) -> tufa::Result<Publisher> {
    Ok(Publisher::open(dir)?.with_keys(provider()))
}
