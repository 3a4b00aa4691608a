//! What the commands print: plain words for people, JSON for scripts.

use serde::Serialize;
use tufa::publisher::status::{human_duration, Status};
use tufa::publisher::{AddEstimate, AddPlan, PublishOutcome, Publisher};
use tufa::{AppVersion, Remedy};

/// Prints a value as pretty JSON on stdout.
pub fn json(value: &impl Serialize) {
    print_json(value)
}

fn print_json(value: &impl Serialize) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("error: cannot print JSON: {e}"),
    }
}

fn mb(bytes: u64) -> String {
    if bytes >= 10 * 1024 * 1024 {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    } else if bytes >= 10 * 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

/// The environment variable that replaces key `name` (its PEM text), for
/// CI: the name upper-cased, other characters as `_`.
pub fn key_var(name: &str) -> String {
    format!("TUFA_KEY_{}", upper(name))
}

/// The environment variable holding the passphrase of key `name`.
pub fn passphrase_var(name: &str) -> String {
    format!("TUFA_PASSPHRASE_{}", upper(name))
}

fn upper(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// An engine remedy worded as what to do on the command line.
pub fn remedy_hint(remedy: &Remedy) -> String {
    match remedy {
        Remedy::RefreshRole { role } => format!("run `tufa sign {role}`"),
        Remedy::SignStaged => {
            "sign the staged change with `tufa sign ROLE` (`tufa status` shows what waits), \
             or throw it away with `tufa discard`"
                .into()
        }
        Remedy::DiscardStaged => "run `tufa discard` and make the change again".into(),
        Remedy::OpenProject => {
            "run tufa in the project folder or pass --project DIR; `tufa init` creates a project"
                .into()
        }
        Remedy::InitProject => "create a project with `tufa init --app NAME`".into(),
        Remedy::ProvideKey { name } => format!(
            "make key '{name}' available where the project keeps it (`tufa key list`), \
             or set {} to its PEM text",
            key_var(name)
        ),
        Remedy::ProvidePassphrase { key } => format!(
            "set {} (or TUFA_PASSPHRASE), or run in a terminal to be asked",
            passphrase_var(key)
        ),
        Remedy::SkipPatch => "publish with --skip-patch meanwhile".into(),
        Remedy::NewSigningRequest => {
            "make a new request from the current root (`tufa root request`, or the key command again)"
                .into()
        }
        Remedy::Retry => "wait for it to finish, then run the command again".into(),
        Remedy::UseKeyFiles => "keep keys in files (--key-store file)".into(),
        Remedy::SaveCredentials { destination } => format!(
            "save an access key for {destination} with `tufa destination save-credentials` \
             (asks for the secret, or reads it from stdin), or set AWS_ACCESS_KEY_ID and \
             AWS_SECRET_ACCESS_KEY"
        ),
        Remedy::EditDestination => {
            "change it with `tufa destination set DEST` (or pass --to / --endpoint)".into()
        }
        other => other.label(),
    }
}

/// The code and remedy of the engine error inside `err`, if it is one.
/// The stable code of an error, as `--json` prints it.
pub fn code_of(err: &anyhow::Error) -> &'static str {
    classify(err).0
}

fn classify(err: &anyhow::Error) -> (&'static str, Option<Remedy>) {
    if let Some(e) = err.downcast_ref::<tufa::Error>() {
        return (e.code(), e.remedy());
    }
    if let Some(e) = err.downcast_ref::<tufa::client::UpdateError>() {
        return (e.code(), e.remedy());
    }
    ("error", None)
}

pub fn error(err: &anyhow::Error, json: bool) {
    let (code, remedy) = classify(err);
    let message = format!("{err:#}");
    let hint = remedy.as_ref().map(remedy_hint);
    if json {
        print_json(&serde_json::json!({ "error": {
            "code": code,
            "message": message,
            "remedy": remedy,
            "hint": hint,
        } }));
    } else {
        eprintln!("error: {message}");
        if let Some(hint) = hint {
            eprintln!("hint: {hint}");
        }
    }
}

pub fn init(p: &Publisher, outcome: &PublishOutcome, json: bool) {
    if json {
        print_json(&serde_json::json!({
            "app": p.project().app_name,
            "project": p.dir().join(tufa::publisher::project::PROJECT_FILE),
            "repository": p.repo(),
            "keys": p.project().keys.keys().collect::<Vec<_>>(),
            "outcome": outcome,
        }));
        return;
    }
    println!("Created project for '{}'", p.project().app_name);
    println!("  repository: {}", p.repo().display());
    for (name, key) in &p.project().keys {
        println!("  key {name:<12} {}", key.location);
    }
    println!("Keep the root key(s) offline once you have published your first release.");
}

pub fn plan(plan: &AddPlan, json: bool) {
    if json {
        print_json(plan);
        return;
    }
    print_plan(plan);
    println!("(plan only: nothing was changed)");
}

pub fn estimate(est: &AddEstimate, json: bool) {
    if json {
        print_json(est);
        return;
    }
    match &est.previous {
        Some(v) => println!("Estimate against {v} ({:.2} s)", est.seconds),
        None => println!("Estimate for a first release ({:.2} s)", est.seconds),
    }
    println!(
        "  files    {} ({}): {} unchanged, {} changed ({}), {} added ({}), {} removed",
        est.files,
        mb(est.bundle_bytes),
        est.unchanged_files,
        est.changed.len(),
        mb(est.changed_bytes),
        est.added.len(),
        mb(est.added_bytes),
        est.removed.len()
    );
    for c in est.changed.iter().chain(&est.added).take(10) {
        let old = c.old_size.map(mb).unwrap_or_else(|| "new".into());
        println!("    {:<50} {old} → {}", c.path, mb(c.new_size.unwrap_or(0)));
    }
    println!("  archive  about {}", mb(est.archive_estimate));
    if est.previous.is_some() {
        println!(
            "  patch    between about {} and {}",
            mb(est.patch_low),
            mb(est.patch_high)
        );
    }
    println!("(estimate only: run with --plan for exact sizes)");
}

fn print_plan(plan: &AddPlan) {
    let prev = plan
        .previous
        .as_ref()
        .map(|v| format!(" (previous {v})"))
        .unwrap_or_default();
    let platform = plan
        .platform
        .as_ref()
        .map(|p| format!(" for {p}"))
        .unwrap_or_default();
    println!("Release {} {}{platform}{prev}", plan.app, plan.version);
    println!("  bundle   {}", mb(plan.bundle_bytes));
    println!("  tar      {}  sha256 {}", mb(plan.tar_size), plan.tar_hash);
    println!(
        "  archive  {}  {}",
        plan.archive.name,
        mb(plan.archive.size)
    );
    match (&plan.patch, plan.patch_ratio) {
        (Some(p), Some(r)) => println!(
            "  patch    {}  {}  ({:.1}% of the archive)",
            p.name,
            mb(p.size),
            r * 100.0
        ),
        _ => println!("  patch    none"),
    }
    if plan.required {
        println!("  required: clients stop at this release before later ones");
    }
    if !plan.clients.is_empty() {
        println!("  clients on older releases will download:");
        print_clients(&plan.clients);
    }
    let versions: Vec<String> = plan
        .metadata
        .iter()
        .map(|v| format!("{} {}→{}", v.role, v.from, v.to))
        .collect();
    println!("  metadata {}", versions.join(", "));
    for w in &plan.warnings {
        println!("  warning: {}", w.text);
    }
}

/// What clients on each older release download next, as the engine
/// decided it (`tufa::policy::client_downloads`).
fn print_clients(clients: &[tufa::policy::ClientDownload]) {
    for c in clients {
        let Some(method) = c.method else {
            println!(
                "    from {:<10} nothing: no newer release on the {} channel",
                c.from_version.to_string(),
                c.channel
            );
            continue;
        };
        let to = c
            .to_version
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        let rolling = c
            .to_rollout
            .map(|p| format!(" (rolling out: only the {p}% of installs it reaches)"))
            .unwrap_or_default();
        let stop = if c.rollback {
            " (rollback: the release is pulled)"
        } else if c.stops_first_at.is_some() {
            " (required: updates on from there)"
        } else {
            ""
        };
        println!(
            "    from {:<10} → {:<10} {:<5} {:>12}  {}{stop}{rolling}",
            c.from_version.to_string(),
            to,
            method.to_string(),
            mb(c.bytes),
            c.files.join(" + ")
        );
    }
}

pub fn added(plan: &AddPlan, outcome: &PublishOutcome, json: bool) {
    if json {
        print_json(&serde_json::json!({ "plan": plan, "outcome": outcome }));
        return;
    }
    print_plan(plan);
    print_outcome(outcome);
}

/// Words for a rollout state (`rolling out 25%`, `paused at 25%`,
/// `pulled`); none for a release out to every install.
fn rollout_words(r: Option<&tufa::target::Rollout>) -> Option<String> {
    use tufa::target::RolloutState;
    r.map(|r| match r.state {
        RolloutState::Rolling => format!("rolling out {}%", r.percent),
        RolloutState::Paused => format!("paused at {}%", r.percent),
        RolloutState::Pulled => "pulled".to_string(),
    })
}

pub fn rollout(
    version: &str,
    changed: &[tufa::publisher::rollout::RolloutChanged],
    outcome: &PublishOutcome,
    json: bool,
) {
    if json {
        print_json(
            &serde_json::json!({ "version": version, "changed": changed, "outcome": outcome }),
        );
        return;
    }
    for c in changed {
        let state =
            rollout_words(c.rollout.as_ref()).unwrap_or_else(|| "out to every install".into());
        let back = match (&c.rollout, &c.rollback_to) {
            (Some(r), Some(v)) if r.state == tufa::target::RolloutState::Pulled => {
                format!("; clients on it go back to {v}")
            }
            (Some(r), None) if r.state == tufa::target::RolloutState::Pulled => {
                "; no earlier release to go back to: clients on it stay".to_string()
            }
            _ => String::new(),
        };
        println!("{}: {state}{back}", c.archive);
        print_moved(&c.repointed, &c.stalled);
    }
    print_outcome(outcome);
}

/// Earlier pulls whose way back moved and installs whose next step
/// changed with a rollout change, as the engine computed them.
fn print_moved(repointed: &[tufa::policy::Repointed], shifts: &[tufa::policy::Shift]) {
    for r in repointed {
        match &r.rollback_to {
            Some(v) => println!(
                "  {}, pulled earlier, now sends its clients back to {v}",
                r.version
            ),
            None => println!(
                "  {}, pulled earlier, has no good release left before it: its clients stay",
                r.version
            ),
        }
    }
    for s in shifts {
        let went = match (&s.before, s.before_rollback) {
            (None, _) => "had no update".to_string(),
            (Some(v), true) => format!("were being sent back to {v}"),
            (Some(v), false) => format!("were getting {v}"),
        };
        let go = match (&s.after, s.after_rollback) {
            (None, _) if s.held_by_required => {
                "get no update: a required release they may not skip is held back from them"
                    .to_string()
            }
            (None, _) => "get no update".to_string(),
            (Some(v), true) => format!("go back to {v}"),
            (Some(v), false) => format!("get {v}"),
        };
        println!(
            "  installs on {} ({} of 100 buckets) {went} and now {go}",
            s.from_version, s.buckets
        );
    }
}

/// A pull: each release pulled, where its installs go (bucket shares, as
/// the engine's preview decided), and the earlier pulls re-pointed.
pub fn pulled(
    version: &str,
    previews: &[tufa::policy::PullPreview],
    changed: &[tufa::publisher::rollout::RolloutChanged],
    outcome: &PublishOutcome,
    json: bool,
) {
    if json {
        print_json(&serde_json::json!({
            "version": version,
            "changed": changed,
            "preview": previews,
            "outcome": outcome,
        }));
        return;
    }
    for p in previews {
        let on = p
            .platform
            .as_ref()
            .map(|x| format!(" on {x}"))
            .unwrap_or_default();
        println!(
            "Pulled {}{on}: installs in {} of 100 buckets may have it.",
            p.version, p.buckets
        );
        for o in &p.outcomes {
            let what = match (&o.to_version, o.rollback) {
                (None, _) => format!("stay on {} (no good release to go back to)", p.version),
                (Some(v), true) => format!("go back to {v} (signed downgrade, full archive)"),
                (Some(v), false) => format!("go forward to {v} (its rollout reaches them)"),
            };
            println!("  clients in {} buckets {what}", o.buckets);
        }
        print_moved(&p.repointed, &p.others);
    }
    print_outcome(outcome);
}

pub fn removed(
    version: &AppVersion,
    preview: &tufa::publisher::removal::RemovalPreview,
    outcome: &PublishOutcome,
    json: bool,
) {
    if json {
        print_json(&serde_json::json!({
            "removed_version": version.to_string(),
            "preview": preview,
            "outcome": outcome,
        }));
        return;
    }
    println!("Removed release {version}");
    if let Some(after) = &preview.latest_after {
        println!("The newest release is now {after}.");
    }
    if let Some(ahead) = &preview.ahead {
        println!("Installs on {ahead} keep it until a newer release is published.");
    }
    if let Some(back) = &preview.rollback_lost {
        println!(
            "{version} was pulled: its installs were being sent back to {back}; they now stay on it."
        );
    }
    if let Some(f) = &preview.platform_fallback {
        println!(
            "{} has no release left: its installs that set no platform follow the releases without a platform:",
            f.platform
        );
        for s in &f.shares {
            let share = if s.share < 100 {
                format!("{}% ", s.share)
            } else {
                String::new()
            };
            match (&s.to_version, s.rollback) {
                (None, _) => println!("  {share}get nothing yet"),
                (Some(to), true) => println!(
                    "  {share}go back to {to} (signed downgrade: {} is pulled there)",
                    s.version
                ),
                (Some(to), false) => println!("  {share}take {to} ({})", mb(s.bytes)),
            }
        }
    }
    if !preview.clients_after.is_empty() {
        println!("Clients on the releases left then download:");
        print_clients(&preview.clients_after);
    }
    print_outcome(outcome);
}

/// What clients on pruned releases download, one line per share of
/// installs (a staged rollout splits them), as the engine decided it.
pub fn stranded(stranded: &[tufa::publisher::removal::StrandedClients]) {
    for s in stranded {
        let on = match &s.platform {
            Some(p) => format!("{} on {p}", s.version),
            None => s.version.clone(),
        };
        let who = if s.share < 100 {
            format!(" ({}% of those installs)", s.share)
        } else {
            String::new()
        };
        match &s.to_version {
            Some(to) => println!(
                "Clients on {on}{who} download the full archive of {to} ({}).",
                mb(s.bytes)
            ),
            None => println!(
                "Clients on {on}{who} get no update: no newer release on their channel is offered to them yet."
            ),
        }
    }
}

pub fn outcome(outcome: &PublishOutcome, json: bool) {
    if json {
        print_json(outcome);
    } else {
        print_outcome(outcome);
    }
}

fn print_outcome(outcome: &PublishOutcome) {
    if outcome.published {
        let versions: Vec<String> = outcome
            .versions
            .iter()
            .map(|v| format!("{} {}→{}", v.role, v.from, v.to))
            .collect();
        println!("Published: {}", versions.join(", "));
        for f in &outcome.written {
            println!("  wrote   {f}");
        }
        for f in &outcome.removed {
            println!("  removed {f}");
        }
    } else {
        println!("Staged, not published: signatures are missing.");
        for w in &outcome.waiting {
            println!(
                "  {}: {} of {} signatures",
                w.role, w.signatures, w.threshold
            );
            for m in &w.missing {
                println!("    missing: {m}");
            }
        }
        println!("Add them with `tufa sign ROLE` where the keys are, then it publishes.");
    }
}

pub fn discarded(discarded: bool, json: bool) {
    if json {
        print_json(&serde_json::json!({ "discarded": discarded }));
    } else if discarded {
        println!("Staged changes discarded.");
    } else {
        println!("Nothing was staged.");
    }
}

fn print_releases(releases: &[tufa::releases::Release]) {
    for r in releases.iter().rev() {
        let patch = r
            .patch
            .as_ref()
            .map(|p| format!("patch {}", mb(p.size)))
            .unwrap_or_else(|| "no patch".into());
        let mut flags = Vec::new();
        if r.required {
            flags.push("required".to_string());
        }
        if r.channel != tufa::Channel::Stable {
            flags.push(r.channel.to_string());
        }
        flags.extend(rollout_words(r.rollout.as_ref()));
        if let Some(back) = &r.rollback_to {
            flags.push(format!("(clients go back to {back})"));
        }
        println!(
            "  {:<12} archive {:>10}  {:<16} {}",
            r.version.to_string(),
            mb(r.archive_size),
            patch,
            flags.join(" ")
        );
    }
}

pub fn status(s: &Status, delegated: &[tufa::publisher::delegate::DelegatedExpiry], json: bool) {
    if json {
        print_json(s);
        return;
    }
    println!("{}  ({})", s.app, s.repository);
    println!("Roles:");
    for r in &s.roles {
        let when = if r.expires_in_secs > 0 {
            format!("expires in {}", human_duration(r.expires_in_secs))
        } else {
            format!("EXPIRED {} ago", human_duration(r.expires_in_secs))
        };
        println!(
            "  {:<10} v{:<4} {}/{} sig  {} ({})",
            r.role.to_string(),
            r.version,
            r.signatures,
            r.threshold,
            r.expires,
            when
        );
    }
    // Delegated platforms' roles expire like targets.
    for d in delegated {
        let when = if d.expires_in_secs > 0 {
            format!("expires in {}", human_duration(d.expires_in_secs))
        } else {
            format!("EXPIRED {} ago", human_duration(d.expires_in_secs))
        };
        println!(
            "  {:<10} v{:<4} delegated  {} ({})",
            d.platform, d.version, d.expires, when
        );
    }
    for d in delegated {
        if d.severity != tufa::policy::Severity::Ok {
            println!(
                "  WARNING: the role of {} expires soon or has expired: its clients stop updating; run `tufa platform resign {}` (or `tufa refresh`)",
                d.platform, d.platform
            );
        }
    }
    for r in &s.roles {
        if let Some(w) = &r.warning {
            match &r.remedy {
                Some(remedy) => println!("  WARNING: {w}; {}", remedy_hint(remedy)),
                None => println!("  WARNING: {w}"),
            }
        }
    }
    println!("Releases:");
    if s.releases.is_empty() && s.platforms.is_empty() {
        println!("  none yet: `tufa add BUNDLE_DIR --version 1.0`");
    }
    print_releases(&s.releases);
    if !s.clients.is_empty() {
        println!("Clients on older releases download:");
        print_clients(&s.clients);
    }
    for p in &s.platforms {
        println!("Releases for {}:", p.platform);
        print_releases(&p.releases);
        if !p.clients.is_empty() {
            println!("  Clients on older releases for {} download:", p.platform);
            print_clients(&p.clients);
        }
    }
    println!("Keys:");
    for k in &s.keys {
        let roles: Vec<String> = k.roles.iter().map(ToString::to_string).collect();
        println!(
            "  {:<12} {:<10} {}…  {}{}",
            tufa::display::printable(&k.name, 40),
            roles.join(","),
            tufa::display::short_id(&k.keyid),
            k.location,
            if k.available {
                ""
            } else {
                "  (not available here)"
            }
        );
    }
    if !s.staged.is_empty() {
        println!("Staged, not yet published:");
        for w in &s.staged {
            println!("  {w}");
        }
    }
}

pub fn verify(r: &tufa::client::verify::VerifyReport, json: bool) {
    if json {
        print_json(r);
        return;
    }
    println!("{}  (root trusted from {})", r.url, r.trust);
    if let Some(v) = r.root_version {
        let versions: Vec<String> = r
            .versions
            .iter()
            .map(|(role, v)| format!("{role} v{v}"))
            .collect();
        println!("  root v{v}, {}", versions.join(", "));
    }
    println!(
        "  {} target file(s) checked, {} downloaded and hashed",
        r.targets_checked,
        mb(r.bytes_checked)
    );
    for w in &r.warnings {
        println!("  WARNING: {w}");
    }
    for p in &r.problems {
        println!("  PROBLEM: {p}");
    }
    println!(
        "{}",
        if r.ok() {
            "OK: clients can update from this repository."
        } else {
            "Clients will fail: fix the problems above."
        }
    );
}
