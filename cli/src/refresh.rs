//! `tufa refresh`: re-sign every role inside its warning window, then
//! upload the result to the saved destination (or --to), for a daily job
//! (CI, a systemd timer) instead of daily clicks.

use crate::output;
use std::path::Path;
use std::process::ExitCode;

/// Where to upload, as given on the command line.
pub struct RefreshArgs {
    pub to: Option<String>,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub no_upload: bool,
}

pub fn run(dir: &Path, args: RefreshArgs, json: bool) -> anyhow::Result<ExitCode> {
    let publisher = crate::secrets::open(dir)?;
    let report = publisher.refresh()?;
    // A folder typed on the command line counts from here (as for
    // `publish`); the engine resolves saved ones from the project.
    let to = args.to.map(|t| match Path::new(&t) {
        p if !t.contains("://") && p.is_relative() => std::env::current_dir()
            .map(|d| d.join(p).display().to_string())
            .unwrap_or(t),
        _ => t,
    });
    let target = if args.no_upload {
        None
    } else {
        match publisher.destination(
            to.as_deref(),
            args.endpoint.as_deref(),
            args.region.as_deref(),
        ) {
            Ok(t) => Some(t),
            Err(tufa::Error::NoDestination) => None,
            Err(e) => return Err(e.into()),
        }
    };
    // Upload when the published copy lags: after this refresh, or after an
    // earlier change that was never uploaded.
    let lagging = publisher.published_state()?.changes() > 0;
    let upload = match &target {
        Some(t) if report.changed() || lagging => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            Some(rt.block_on(publisher.upload_with_progress(
                &t.destination,
                &t.s3,
                &mut crate::progress::Bars::new(json),
            ))?)
        }
        _ => None,
    };
    let to = target.as_ref().map(|t| t.shown.clone());
    if json {
        output::json(&serde_json::json!({ "refresh": report, "upload": upload, "to": to }));
        return Ok(ExitCode::SUCCESS);
    }
    if report.signed.is_empty() {
        println!("Nothing was due: every role is outside its warning window.");
    } else {
        let roles: Vec<String> = report.signed.iter().map(|r| r.to_string()).collect();
        println!("Re-signed: {}.", roles.join(", "));
    }
    for skipped in &report.skipped {
        match &skipped.remedy {
            Some(r) => println!(
                "Not re-signed: {}: {} ({})",
                skipped.role,
                skipped.reason,
                output::remedy_hint(r)
            ),
            None => println!("Not re-signed: {}: {}", skipped.role, skipped.reason),
        }
    }
    match (&upload, &to) {
        (Some(u), Some(to)) => println!(
            "Uploaded to {to}: {} file(s), {} bytes; {} already there; {} removed.",
            u.uploaded.len(),
            u.bytes,
            u.skipped.len(),
            u.deleted.len()
        ),
        (None, Some(to)) => println!("The copy at {to} is up to date: nothing uploaded."),
        _ if args.no_upload => {}
        _ => {
            println!("Not uploaded: no destination saved ([publish] in tufa.toml); pass --to DEST.")
        }
    }
    Ok(ExitCode::SUCCESS)
}
