//! `tufa key …`, `tufa threshold` and `tufa root …`: key custody and the
//! offline root ceremony.

use crate::output;
use anyhow::{bail, Context};
use clap::Subcommand;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tufa::metadata::TopRole;
use tufa::publisher::ceremony::SigningRequest;
use tufa::publisher::keys::{self, Secret};
use tufa::publisher::{KeyStore, RequestSigning, RootChange};

#[derive(Subcommand)]
pub enum KeyCmd {
    /// List keys: name, roles, key id, where each lives, whether it is at hand.
    List,
    /// Generate a new key for ROLE (produces a root signing request).
    Add {
        role: TopRole,
        /// Key name (default ROLE-N).
        #[arg(long)]
        name: Option<String>,
        /// Where the key goes.
        #[arg(long, value_enum, default_value_t = KeyStore::Keyring)]
        key_store: KeyStore,
        /// Who holds the key (a person or team), shown in `key list`.
        #[arg(long)]
        owner: Option<String>,
        /// A custodian's public key file (NAME.pub.json from `tufa key
        /// new`): the private key stays with them; nothing is generated.
        #[arg(long, value_name = "FILE", conflicts_with = "key_store")]
        public_key: Option<PathBuf>,
    },
    /// As a custodian, on your own computer: create your key in FILE
    /// (encrypted; TUFA_NEW_PASSPHRASE or typed twice) and its public key
    /// beside it (NAME.pub.json) to send to the publisher. No project needed.
    New { file: PathBuf },
    /// Replace key NAME by a new one in every role it signs (root signing request).
    /// The new key is kept like the old one (keyring, file, encrypted file
    /// with the same passphrase) unless --key-store says otherwise.
    Replace {
        name: String,
        #[arg(long, value_enum)]
        key_store: Option<tufa::publisher::Custody>,
    },
    /// Remove key NAME from every role, e.g. when it leaked (root signing request).
    Revoke { name: String },
    /// Move key NAME to the OS keyring or to a key file (no metadata changes).
    Move {
        name: String,
        #[arg(long, value_enum)]
        to: KeyStore,
        /// Encrypt the key file with a passphrase (TUFA_NEW_PASSPHRASE or a prompt).
        #[arg(long)]
        encrypt: bool,
    },
    /// Write key NAME to FILE as PEM, encrypted (TUFA_NEW_PASSPHRASE or a prompt), for backup or a custodian.
    Export {
        name: String,
        file: PathBuf,
        /// Write it unencrypted (only for a medium that is itself protected).
        #[arg(long)]
        no_encrypt: bool,
    },
}

#[derive(Subcommand)]
pub enum RootCmd {
    /// Start a root change that only refreshes the expiry (new version).
    Request {
        /// Expiry of the new root in days (default: the project's).
        #[arg(long)]
        expires: Option<u32>,
        /// Do not sign with the root keys at hand here (all signatures come from custodians).
        #[arg(long)]
        no_sign: bool,
    },
    /// Sign a request with a key file, a keyring entry or the project's root keys; works offline, without the repository.
    Sign {
        request: PathBuf,
        /// A key file: PKCS#8 PEM (plain or encrypted) or a tufup key file (repeatable).
        #[arg(long)]
        key: Vec<PathBuf>,
        /// An OS keyring entry name holding a Tufa key (repeatable).
        #[arg(long)]
        keyring_entry: Vec<String>,
        /// Sign without asking (for scripts): only after the change was reviewed.
        #[arg(long, short = 'y')]
        yes: bool,
        /// Sign only if the request's fingerprint is this one (as compared by phone).
        #[arg(long, value_name = "FINGERPRINT")]
        expect_fingerprint: Option<String>,
    },
    /// Show what a request changes and its signatures; copies signed in parallel are merged.
    Status {
        request: PathBuf,
        copies: Vec<PathBuf>,
    },
    /// Publish a request (merging copies) once both the old and the new root thresholds are met.
    Publish {
        request: PathBuf,
        copies: Vec<PathBuf>,
    },
}

/// A new passphrase: TUFA_NEW_PASSPHRASE, or typed twice at the terminal.
pub(crate) fn new_passphrase() -> anyhow::Result<Secret> {
    if let Ok(p) = std::env::var("TUFA_NEW_PASSPHRASE") {
        return Ok(Secret::new(p.into_bytes()));
    }
    if !std::io::stdin().is_terminal() {
        bail!("set TUFA_NEW_PASSPHRASE, or run in a terminal to type the passphrase");
    }
    let a = rpassword::prompt_password("New passphrase: ")?;
    let b = rpassword::prompt_password("Same passphrase again: ")?;
    if a != b {
        bail!("the passphrases differ");
    }
    if a.len() < 8 {
        bail!("use a passphrase of at least 8 characters");
    }
    Ok(Secret::new(a.into_bytes()))
}

fn report_request(path: &Path, req: &SigningRequest, json: bool) {
    let status = req.status();
    if json {
        output::json(&serde_json::json!({ "request": path, "status": status }));
        return;
    }
    println!("Root signing request written to {}", path.display());
    print_status(&status);
    if status.complete {
        println!(
            "Complete: publish it with `tufa root publish {}`.",
            path.display()
        );
    } else {
        println!(
            "Send it to the custodians: `tufa root sign {} --key KEYFILE`.",
            path.display()
        );
    }
}

fn print_status(status: &tufa::publisher::ceremony::RequestStatus) {
    for line in &status.summary {
        println!("  {line}");
    }
    println!("  Fingerprint: {}", status.fingerprint);
    println!("  {status}");
    if !status.invalid_signatures.is_empty() {
        println!(
            "  WARNING: signatures that do not verify (altered request?): {}",
            status.invalid_signatures.join(", ")
        );
    }
}

/// Shows the whole change and its fingerprint, then asks before signing:
/// a custodian signs only what they have read. Without a terminal to ask
/// on, `--yes` (or an expected fingerprint) is required.
fn confirm_signing(path: &Path, req: &SigningRequest, yes: bool) -> anyhow::Result<()> {
    let status = req.status();
    let mut text = format!(
        "Root signing request {} for app '{}'\n",
        path.display(),
        tufa::display::printable(&req.app, 80)
    );
    for line in &status.summary {
        text.push_str(&format!("  {line}\n"));
    }
    text.push_str(&format!("  Fingerprint: {}\n", status.fingerprint));
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "not signing without confirmation: review the change with `tufa root status {}` \
             (fingerprint {}), then sign with --yes or --expect-fingerprint",
            path.display(),
            status.fingerprint
        );
    }
    // The review goes to stderr so that --json output stays machine-readable.
    eprint!("{text}Compare the fingerprint with the publisher's. Sign this change? [y/N] ");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    if !matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
        bail!("not signed: the change was not confirmed");
    }
    Ok(())
}

/// `tufa key new FILE`: a custodian's own key, made outside any project.
pub fn new_held_key(file: &Path, json: bool) -> anyhow::Result<ExitCode> {
    let made = tufa::publisher::new_custodian_key(file, &new_passphrase()?)?;
    if json {
        output::json(&made);
    } else {
        println!(
            "Created key {}… in {} (encrypted).\nSend {} to the publisher; keep the key file and its passphrase yourself.",
            tufa::display::short_id(&made.keyid),
            made.private_key.display(),
            made.public_key.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run_key(dir: &Path, cmd: KeyCmd, json: bool) -> anyhow::Result<ExitCode> {
    let mut publisher = crate::secrets::open(dir)?;
    let change = match cmd {
        KeyCmd::List => {
            let status = publisher.status()?;
            if json {
                output::json(&status.keys);
            } else {
                for k in &status.keys {
                    let roles: Vec<String> = k.roles.iter().map(ToString::to_string).collect();
                    println!(
                        "{:<14} {:<20} {}…  {:<16} {}{}",
                        tufa::display::printable(&k.name, 40),
                        roles.join(","),
                        tufa::display::short_id(&k.keyid),
                        tufa::display::printable(k.owner.as_deref().unwrap_or("-"), 40),
                        k.location,
                        if k.available { "" } else { "  (not at hand)" }
                    );
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        KeyCmd::Move { name, to, encrypt } => {
            let pass = if encrypt {
                Some(new_passphrase()?)
            } else {
                None
            };
            let location = publisher.move_key(&name, to, pass.as_ref())?;
            if json {
                output::json(&serde_json::json!({ "key": name, "location": location.to_string() }));
            } else {
                println!("Key '{name}' now lives in {location}.");
            }
            return Ok(ExitCode::SUCCESS);
        }
        KeyCmd::New { file } => return new_held_key(&file, json),
        KeyCmd::Export {
            name,
            file,
            no_encrypt,
        } => {
            let pass = if no_encrypt {
                None
            } else {
                Some(new_passphrase()?)
            };
            let file = publisher.export_key(&name, &file, pass.as_ref())?;
            if json {
                output::json(
                    &serde_json::json!({ "key": name, "file": file, "encrypted": !no_encrypt }),
                );
            } else {
                println!(
                    "Key '{name}' written to {}{}.",
                    file.display(),
                    if no_encrypt { "" } else { " (encrypted)" }
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
        KeyCmd::Add {
            role,
            name,
            key_store,
            owner,
            public_key,
        } => RootChange::AddKey {
            role,
            name,
            store: key_store,
            owner,
            public_key: public_key
                .as_deref()
                .map(tufa::publisher::read_public_key)
                .transpose()?,
        },
        KeyCmd::Replace { name, key_store } => RootChange::ReplaceKey {
            name,
            custody: key_store,
        },
        KeyCmd::Revoke { name } => RootChange::RevokeKey { name },
    };
    let (path, req) = publisher.root_request(&change, None)?;
    report_request(&path, &req, json);
    Ok(ExitCode::SUCCESS)
}

pub fn run_threshold(
    dir: &Path,
    role: TopRole,
    threshold: u64,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let publisher = crate::secrets::open(dir)?;
    let (path, req) = publisher.root_request(&RootChange::Threshold { role, threshold }, None)?;
    report_request(&path, &req, json);
    Ok(ExitCode::SUCCESS)
}

fn load_all(request: &Path, copies: &[PathBuf]) -> anyhow::Result<Vec<SigningRequest>> {
    std::iter::once(request)
        .chain(copies.iter().map(PathBuf::as_path))
        .map(|p| SigningRequest::load(p).with_context(|| format!("reading {}", p.display())))
        .collect()
}

fn all_paths(request: &Path, copies: &[PathBuf]) -> Vec<PathBuf> {
    std::iter::once(request.to_path_buf())
        .chain(copies.iter().cloned())
        .collect()
}

pub fn run_root(dir: &Path, cmd: RootCmd, json: bool) -> anyhow::Result<ExitCode> {
    match cmd {
        RootCmd::Request { expires, no_sign } => {
            let publisher = crate::secrets::open(dir)?;
            let signing = if no_sign {
                RequestSigning::CustodiansOnly
            } else {
                RequestSigning::WithKeysHere
            };
            let (path, req) =
                publisher.root_request_signed(&RootChange::Refresh, expires, signing)?;
            report_request(&path, &req, json);
            Ok(ExitCode::SUCCESS)
        }
        RootCmd::Sign {
            request,
            key,
            keyring_entry,
            yes,
            expect_fingerprint,
        } => {
            let mut req = SigningRequest::load(&request)?;
            if let Some(f) = &expect_fingerprint {
                req.confirm(f)?;
            }
            confirm_signing(&request, &req, yes || expect_fingerprint.is_some())?;
            let mut signers = Vec::new();
            for path in &key {
                signers.push(keys::signer_from_file(path, &crate::secrets::CliKeys)?);
            }
            for user in &keyring_entry {
                signers.push(keys::signer_from_keyring_entry(
                    user,
                    &crate::secrets::CliKeys,
                )?);
            }
            let added = if signers.is_empty() {
                // Inside a project: its root keys that are at hand.
                let publisher = crate::secrets::open(dir).context(
                    "give --key FILE or --keyring-entry NAME, or run inside the project",
                )?;
                publisher.sign_request(&mut req).map_err(|e| match e {
                    tufa::Error::NoRootKeyAtHand => anyhow::anyhow!(
                        "none of the project's root keys is at hand: give --key FILE or --keyring-entry NAME"
                    ),
                    e => e.into(),
                })?
            } else {
                let mut added = 0;
                for s in &signers {
                    if req.sign(s)? {
                        added += 1;
                    }
                }
                added
            };
            req.save(&request)?;
            let status = req.status();
            if json {
                output::json(
                    &serde_json::json!({ "request": request, "added": added, "status": status }),
                );
            } else {
                println!("Added {added} signature(s) to {}.", request.display());
                print_status(&status);
            }
            Ok(ExitCode::SUCCESS)
        }
        RootCmd::Status { request, copies } => {
            let req = SigningRequest::load_merged(&all_paths(&request, &copies))?;
            let status = req.status();
            if json {
                output::json(&status);
            } else {
                print_status(&status);
            }
            Ok(ExitCode::SUCCESS)
        }
        RootCmd::Publish { request, copies } => {
            let all = load_all(&request, &copies)?;
            let outcome = crate::secrets::open(dir)?.root_publish(&all)?;
            output::outcome(&outcome, json);
            Ok(ExitCode::SUCCESS)
        }
    }
}
