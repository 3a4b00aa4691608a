//! `tufa automate github|systemd [--out DIR]`: writes a ready schedule
//! that runs `tufa refresh` (a GitHub Actions workflow, or a systemd
//! service and timer) and says where to put it and which secrets to
//! create. The engine writes the files; this prints them.

use crate::output;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tufa::publisher::automate::AutomationKind;
use tufa::publisher::Publisher;

pub fn run(
    dir: &Path,
    kind: AutomationKind,
    out: Option<PathBuf>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let publisher = crate::secrets::open(dir)?;
    // The unit starts this very program: an absolute path, as systemd
    // wants, that exists on the machine that wrote it.
    let tufa = std::env::current_exe()?;
    let automation = publisher.automation(kind, &tufa)?;
    let written = match &out {
        Some(out) => Publisher::write_automation(&automation, out)?,
        None => Vec::new(),
    };
    if json {
        output::json(&serde_json::json!({ "automation": automation, "written": written }));
        return Ok(ExitCode::SUCCESS);
    }
    if written.is_empty() {
        for file in &automation.files {
            println!("# ---- {} (put it in {})", file.name, file.place);
            print!("{}", file.contents);
            println!();
        }
    } else {
        for path in &written {
            println!("Wrote {}", path.display());
        }
        println!();
    }
    for step in &automation.steps {
        println!("{step}");
    }
    if !automation.secrets.is_empty() {
        println!();
        println!("Secrets to create (names exactly as written):");
        for secret in &automation.secrets {
            println!("  {}: {}", secret.name, secret.what);
        }
    }
    for warning in &automation.warnings {
        println!();
        println!("Note: {warning}");
    }
    Ok(ExitCode::SUCCESS)
}
