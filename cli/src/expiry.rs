//! `tufa expiry ROLE DAYS [--sign]`: changes how long a freshly signed
//! version of a role stays valid. The engine checks the bounds and says
//! when it takes effect; `--sign` re-signs the role at once.

use crate::output;
use std::path::Path;
use std::process::ExitCode;
use tufa::metadata::TopRole;

pub fn run(
    dir: &Path,
    role: TopRole,
    days: u32,
    sign: bool,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut publisher = crate::secrets::open(dir)?;
    let change = publisher.set_expiry_period(role, days)?;
    // Root is never re-signed here: its new version is a ceremony.
    let signed = match (sign, role) {
        (true, TopRole::Root) => {
            anyhow::bail!(
                "the period of root is saved; a new root version needs a root request (tufa root request), not --sign"
            )
        }
        (true, _) => Some(publisher.sign(role, None)?),
        (false, _) => None,
    };
    if json {
        output::json(&serde_json::json!({ "change": change, "signed": signed }));
    } else {
        println!("{role}: {} → {} days.", change.previous_days, change.days);
        match &signed {
            Some(outcome) => {
                println!("Re-signed {role} now: it expires {}.", change.next_expires);
                output::outcome(outcome, false);
            }
            None => println!("{}.", change.note),
        }
    }
    Ok(match &signed {
        Some(o) if !o.published => ExitCode::from(crate::EXIT_STAGED),
        _ => ExitCode::SUCCESS,
    })
}
