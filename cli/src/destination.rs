//! `tufa destination`: where uploads go (`[publish]` in tufa.toml), the S3
//! credentials saved for it in the OS keyring, and "test connection".
//! Secrets are read from a prompt or stdin, never from an argument (which
//! `ps` and the shell history show).

use crate::output;
use clap::{Args, Subcommand};
use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use tufa::publisher::destinations::{
    self, ConnectionTest, CredentialSource, CredentialStatus, S3Credentials,
};
use tufa::publisher::keys::Secret;
use tufa::publisher::upload::Target;
use tufa::publisher::Publisher;

/// Which destination: the saved one unless given.
#[derive(Args, Clone, Default)]
pub struct Which {
    /// s3://BUCKET/PREFIX or a directory (default: [publish] in tufa.toml).
    #[arg(long)]
    to: Option<String>,
    /// Endpoint of an S3-compatible server (default: the saved one).
    #[arg(long)]
    endpoint: Option<String>,
    /// S3 region (default: the saved one).
    #[arg(long)]
    region: Option<String>,
}

#[derive(Subcommand)]
pub enum DestinationCmd {
    /// Show the saved destination and where its credentials come from.
    Show {
        #[command(flatten)]
        which: Which,
    },
    /// Save where uploads go ([publish] in tufa.toml; no credentials there).
    Set {
        /// s3://BUCKET/PREFIX or a directory (relative: from the project folder).
        to: String,
        /// Endpoint of an S3-compatible server (MinIO, R2, GCS, …).
        #[arg(long)]
        endpoint: Option<String>,
        /// S3 region.
        #[arg(long)]
        region: Option<String>,
    },
    /// Save an S3 access key for the destination in the OS keyring (used when the
    /// environment gives none). The secret is asked for, or read from stdin.
    SaveCredentials {
        #[command(flatten)]
        which: Which,
        /// The access key id (asked for when not given).
        #[arg(long)]
        access_key_id: Option<String>,
    },
    /// Remove the credentials saved for the destination from the OS keyring.
    ForgetCredentials {
        #[command(flatten)]
        which: Which,
    },
    /// Check that the destination is reachable and writable (writes and removes a small test file).
    Test {
        #[command(flatten)]
        which: Which,
    },
}

/// The destination `which` names, resolved by the engine (a folder typed
/// here counts from the current directory, as for `publish`).
fn target(publisher: &Publisher, which: &Which) -> anyhow::Result<Target> {
    let to = which.to.clone().map(|t| match Path::new(&t) {
        p if !t.contains("://") && p.is_relative() => std::env::current_dir()
            .map(|d| d.join(p).display().to_string())
            .unwrap_or(t),
        _ => t,
    });
    Ok(publisher.destination(
        to.as_deref(),
        which.endpoint.as_deref(),
        which.region.as_deref(),
    )?)
}

pub fn run(dir: &Path, cmd: DestinationCmd, json: bool) -> anyhow::Result<ExitCode> {
    match cmd {
        DestinationCmd::Show { which } => {
            let publisher = Publisher::open(dir)?;
            let status = destinations::credential_status(&target(&publisher, &which)?)?;
            print_status(&status, json);
            Ok(ExitCode::SUCCESS)
        }
        DestinationCmd::Set {
            to,
            endpoint,
            region,
        } => {
            let mut publisher = Publisher::open(dir)?;
            publisher.save_destination(&to, endpoint.as_deref(), region.as_deref())?;
            let status = destinations::credential_status(&target(&publisher, &Which::default())?)?;
            if !json {
                println!("Uploads go to {} (saved in tufa.toml).", status.destination);
            }
            print_status(&status, json);
            Ok(ExitCode::SUCCESS)
        }
        DestinationCmd::SaveCredentials {
            which,
            access_key_id,
        } => {
            let publisher = Publisher::open(dir)?;
            let target = target(&publisher, &which)?;
            let creds = read_credentials(&target.shown, access_key_id)?;
            let status = destinations::save_credentials(&target, &creds)?;
            if !json {
                println!(
                    "Saved the credentials for {} in the OS keyring (entry {}).",
                    status.destination,
                    status.keyring_entry.as_deref().unwrap_or_default()
                );
            }
            print_status(&status, json);
            Ok(ExitCode::SUCCESS)
        }
        DestinationCmd::ForgetCredentials { which } => {
            let publisher = Publisher::open(dir)?;
            let status = destinations::forget_credentials(&target(&publisher, &which)?)?;
            if !json {
                println!("Removed the credentials saved for {}.", status.destination);
            }
            print_status(&status, json);
            Ok(ExitCode::SUCCESS)
        }
        DestinationCmd::Test { which } => {
            let publisher = Publisher::open(dir)?;
            let target = target(&publisher, &which)?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let test = rt.block_on(destinations::test_connection(&target))?;
            print_test(&test, json);
            Ok(if test.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

/// The key pair from the terminal (the secret unechoed) or, in a script,
/// from stdin: the secret on the first line (the id first when
/// `--access-key-id` is not given).
fn read_credentials(shown: &str, id: Option<String>) -> anyhow::Result<S3Credentials> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let id = match id {
            Some(id) => id,
            None => {
                eprint!("Access key id for {shown}: ");
                std::io::stderr().flush()?;
                let mut line = String::new();
                stdin.lock().read_line(&mut line)?;
                line
            }
        };
        let secret = rpassword::prompt_password(format!("Secret access key for {shown}: "))?;
        return Ok(S3Credentials::new(&id, Secret::new(secret.into_bytes()))?);
    }
    let mut lines = stdin.lock().lines();
    let mut next = |what: &str| -> anyhow::Result<String> {
        match lines.next() {
            Some(line) => Ok(line?),
            None => anyhow::bail!("stdin ended before the {what}: give it on its own line"),
        }
    };
    let id = match id {
        Some(id) => id,
        None => next("access key id")?,
    };
    let secret = next("secret access key")?;
    Ok(S3Credentials::new(&id, Secret::new(secret.into_bytes()))?)
}

fn source_words(source: CredentialSource) -> &'static str {
    match source {
        CredentialSource::Environment => "from the environment (AWS_* variables)",
        CredentialSource::Keyring => "saved in the OS keyring",
        CredentialSource::Missing => "none",
        CredentialSource::NotNeeded => "not needed (a folder)",
    }
}

fn print_status(status: &CredentialStatus, json: bool) {
    if json {
        output::json(status);
        return;
    }
    println!("Destination: {}", status.destination);
    if let Some(ep) = &status.endpoint {
        println!("Endpoint:    {ep}");
    }
    let id = status
        .access_key_id
        .as_deref()
        .map(|id| format!(", access key {id}"))
        .unwrap_or_default();
    println!("Credentials: {}{id}", source_words(status.source));
    if status.source == CredentialSource::Environment && status.saved {
        println!(
            "             (credentials are saved in the OS keyring too; the environment's win)"
        );
    }
    if status.source == CredentialSource::Missing {
        println!(
            "hint: {}",
            output::remedy_hint(&tufa::Remedy::SaveCredentials {
                destination: status.destination.clone()
            })
        );
    }
    if let Some(problem) = &status.keyring_problem {
        println!("OS keyring:  {problem}");
    }
}

fn print_test(test: &ConnectionTest, json: bool) {
    if json {
        output::json(test);
        return;
    }
    let mark = if test.ok { "OK" } else { "FAILED" };
    println!("{mark}: {} ({} ms)", test.summary, test.millis);
    if let Some(r) = &test.remedy {
        println!("hint: {}", output::remedy_hint(r));
    }
}
