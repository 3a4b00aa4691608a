//! Policy: every rule that decides what a client does or what a person is
//! warned about. The CLI and the app display the results these functions
//! compute (carried in `Status`, `AddPlan`, `UpdatePlan`); they never
//! recompute them, so the dashboard cannot contradict the client.
//!
//! - expiry: default periods per role ([`default_expiry_days`]) and how
//!   urgent an expiry is ([`expiry_severity`]);
//! - channels: which channel a version belongs to ([`channel_of`]) and
//!   which releases a channel offers ([`offered_on`]);
//! - patch or full archive: the client's choice ([`select`]) and, built on
//!   it, what clients on every older release download ([`client_downloads`]);
//! - staged rollout: a client's bucket ([`install_bucket`]) and whether a
//!   rolling, paused or pulled release counts for it ([`rollout_offers`]),
//!   applied by [`select_with`], which also offers a pulled release's
//!   clients its signed `rollback_to`;
//! - release notes in a release's custom metadata ([`release_notes`],
//!   [`notes_metadata`]);
//! - what a new release's plan warns about ([`plan_warnings`]).

use crate::metadata::TopRole;
use crate::releases::Release;
use crate::target::{Rollout, RolloutState};
use crate::{AppVersion, Channel};
use pep440_rs::PrereleaseKind;
use serde::Serialize;

// ------------------------------------------------------------------ expiry

/// Seconds in a day.
pub const DAY_SECS: i64 = 86_400;

/// Default expiry in days per role (root 365, targets 30, snapshot 7,
/// timestamp 1): long for the offline root, short for the online roles
/// so a frozen server is noticed.
pub fn default_expiry_days(role: TopRole) -> u32 {
    match role {
        TopRole::Root => 365,
        TopRole::Targets => 30,
        TopRole::Snapshot => 7,
        TopRole::Timestamp => 1,
    }
}

/// How urgent a role's expiry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Far enough away.
    Ok,
    /// Within the warning window: re-sign soon.
    Warn,
    /// Expired: clients refuse to update.
    Expired,
}

/// The longest re-signing period accepted for a role, in days. Longer
/// periods are not wrong for TUF, but they defeat what expiry is for: a
/// timestamp or snapshot valid for more than a year no longer reveals a
/// frozen server or a replayed old version; ten years for root and
/// targets outlives any key it names.
pub fn max_expiry_days(role: TopRole) -> u32 {
    match role {
        TopRole::Root | TopRole::Targets => 3650,
        TopRole::Snapshot | TopRole::Timestamp => 365,
    }
}

/// Whether `days` is an acceptable re-signing period for `role`: at
/// least a day (metadata must outlive its upload), at most
/// [`max_expiry_days`]. `Err` says why in words.
pub fn check_expiry_days(role: TopRole, days: u32) -> Result<(), String> {
    let max = max_expiry_days(role);
    if days == 0 {
        Err("must be at least 1 day: metadata that expires at once locks every client out".into())
    } else if days > max {
        Err(format!(
            "at most {max} days for {role}: a longer period no longer protects clients from a frozen or replayed repository"
        ))
    } else {
        Ok(())
    }
}

/// How long before its expiry a role is flagged: the last fifth of its
/// period, and at least one day ahead, but never more than half its period
/// (a role signed a minute ago is fresh whatever its period: a one-day
/// timestamp is flagged in its last 12 hours, a 7-day snapshot 1.4 days
/// ahead, a 365-day root 73 days ahead). Without a known period (a client
/// does not have the project's settings) one day.
pub fn warning_window_secs(period_days: Option<u32>) -> i64 {
    match period_days {
        Some(d) => {
            let period = i64::from(d) * DAY_SECS;
            (period / 5).max(DAY_SECS.min(period / 2))
        }
        None => DAY_SECS,
    }
}

/// The severity of an expiry `seconds_left` away (negative once past) for
/// a role re-signed every `period_days`.
pub fn expiry_severity(seconds_left: i64, period_days: Option<u32>) -> Severity {
    if seconds_left <= 0 {
        Severity::Expired
    } else if seconds_left < warning_window_secs(period_days) {
        Severity::Warn
    } else {
        Severity::Ok
    }
}

// ---------------------------------------------------------------- channels

/// The channel a release with version `v` belongs to: its pre-release
/// kind; development releases count as alpha.
pub fn channel_of(v: &AppVersion) -> Channel {
    let pep = v.pep440();
    match pep.pre() {
        Some(pre) => match pre.kind {
            PrereleaseKind::Alpha => Channel::Alpha,
            PrereleaseKind::Beta => Channel::Beta,
            PrereleaseKind::Rc => Channel::Rc,
        },
        None if pep.is_dev() => Channel::Alpha,
        None => Channel::Stable,
    }
}

/// Whether a client following `channel` is offered a release of version
/// `v`: a channel includes every more stable one.
pub fn offered_on(v: &AppVersion, channel: Channel) -> bool {
    channel_of(v) >= channel
}

// ------------------------------------------------------- patch or archive

/// tufup's rule: a patch chain is used only while its total size is at
/// most this percentage of the target release's archive.
pub const PATCH_LIMIT_PERCENT: u64 = 80;

/// The largest patch chain, in bytes, used instead of an archive of
/// `archive_size` bytes (integer arithmetic: no rounding surprises at the
/// boundary).
pub fn patch_limit_bytes(archive_size: u64) -> u64 {
    // At most archive_size, so the conversion back cannot fail.
    u64::try_from(u128::from(archive_size) * u128::from(PATCH_LIMIT_PERCENT) / 100)
        .unwrap_or(archive_size)
}

/// Whether a plan downloads patches or the full archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// A chain of patches applied to the cached current tar.
    Patch,
    /// The full archive.
    Full,
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Method::Patch => "patch",
            Method::Full => "full",
        })
    }
}

/// What a client on `current` should fetch.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// Index of the target release in the list.
    pub target: usize,
    /// Indices of the releases whose patches form the chain, in order
    /// (empty: full archive).
    pub chain: Vec<usize>,
    /// Total size of the patch chain from `current` to the target, when
    /// every step has a patch that may be used (whether or not the chain
    /// was chosen): what the archive was weighed against.
    pub chain_bytes: Option<u64>,
    /// The target is the signed `rollback_to` of the pulled release the
    /// client is on: a downgrade, always by full archive.
    pub rollback: bool,
}

impl Selection {
    /// Patch chain or full archive.
    pub fn method(&self) -> Method {
        if self.chain.is_empty() {
            Method::Full
        } else {
            Method::Patch
        }
    }
}

// ----------------------------------------------------------- plan warnings

/// What a plan warns about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PlanWarningKind {
    /// The bundle's tar is byte for byte that of the previous release:
    /// clients would download a new version that changes nothing.
    IdenticalToPrevious,
    /// The patch exceeds [`patch_limit_bytes`] of the archive: no client
    /// ever uses it (a chain containing it is at least as large), they
    /// all take the full archive.
    PatchNotSmaller,
}

/// A warning about a planned release: the kind for programs, the text for
/// people. A warning does not stop the release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PlanWarning {
    /// What is wrong.
    pub kind: PlanWarningKind,
    /// In words, with what to do about it.
    pub text: String,
}

/// What a new release built from a tar with sha256 `tar_hash` warns about:
/// the previous release of its stream had the same tar (`previous` is its
/// version and tar sha256), or its patch (`patch_size` bytes) is larger
/// than clients accept instead of the archive (`archive_size` bytes).
pub fn plan_warnings(
    previous: Option<(&AppVersion, &str)>,
    tar_hash: &str,
    archive_size: u64,
    patch_size: Option<u64>,
) -> Vec<PlanWarning> {
    let mut out = Vec::new();
    if let Some((version, hash)) = previous {
        if hash == tar_hash {
            out.push(PlanWarning {
                kind: PlanWarningKind::IdenticalToPrevious,
                text: format!(
                    "the bundle is identical to release {version}: clients would install \
                     a new version that changes nothing"
                ),
            });
        }
    }
    if let Some(patch) = patch_size {
        if patch > patch_limit_bytes(archive_size) {
            let compared = if patch >= archive_size {
                "not smaller than the archive".to_string()
            } else {
                format!("above {PATCH_LIMIT_PERCENT}% of the archive")
            };
            out.push(PlanWarning {
                kind: PlanWarningKind::PatchNotSmaller,
                text: format!(
                    "the patch ({}) is {compared} ({}): no client will use it, every client \
                     downloads the full archive; leave the patch out",
                    human_bytes(patch),
                    human_bytes(archive_size)
                ),
            });
        }
    }
    out
}

/// Bytes for a warning's text: "9.7 KiB", "27.0 MiB".
fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    // Display only: the float's rounding does not matter.
    let mut v = n as f64 / 1024.0;
    let mut unit = UNITS[0];
    for u in &UNITS[1..] {
        if v < 1024.0 {
            break;
        }
        v /= 1024.0;
        unit = u;
    }
    format!("{v:.1} {unit}")
}

// ----------------------------------------------------------- staged rollout

/// Which installs a staged rollout is judged for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Every rolling or paused release counts: testers
    /// (`--ignore-rollout`). Pulled releases never count.
    Everyone,
    /// An install every rollout has reached: a rolling release counts
    /// whatever its percentage (unless 0%), a paused or pulled one never.
    /// What the publisher's previews show: where installs go once the
    /// rollout includes them, never to a release no install gets.
    Admitted,
    /// An install in this bucket, 0 to 99 (see [`install_bucket`]).
    Bucket(u8),
}

/// The stable rollout bucket, in [0, 100), of an install identified by
/// `install_id` (random, created once by the client, never sent): the
/// first 8 bytes of its sha256 modulo 100. The same install lands in the
/// same bucket for every release, so raising a percentage only adds
/// installs.
pub fn install_bucket(install_id: &str) -> u8 {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(install_id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    // < 100, so the conversion cannot fail.
    u8::try_from(u64::from_be_bytes(first) % 100).unwrap_or(0)
}

/// Whether `release` is offered to `audience` as far as its rollout goes:
/// a release without rollout always; a rolling one to buckets below its
/// percentage (to everyone when ignoring rollout); a paused one to no new
/// install (but to testers); a pulled one never.
pub fn rollout_offers(release: &Release, audience: Audience) -> bool {
    let Some(rollout) = release.rollout else {
        return true;
    };
    match (rollout.state, audience) {
        (RolloutState::Pulled, _) => false,
        (_, Audience::Everyone) => true,
        (RolloutState::Rolling, Audience::Admitted) => rollout.percent > 0,
        (RolloutState::Rolling, Audience::Bucket(b)) => b < rollout.percent,
        (RolloutState::Paused, Audience::Admitted | Audience::Bucket(_)) => false,
    }
}

pub(crate) fn is_pulled(release: &Release) -> bool {
    release
        .rollout
        .is_some_and(|r| r.state == RolloutState::Pulled)
}

/// Everything [`select_with`] decides on.
#[derive(Debug, Clone, Copy)]
pub struct SelectOptions<'a> {
    /// The client's channel.
    pub channel: Channel,
    /// Jump past required releases.
    pub ignore_required: bool,
    /// The current tar is cached and patching is enabled.
    pub patches_allowed: bool,
    /// Patches that failed here before (never tried again).
    pub failed_patches: &'a [String],
    /// Whose staged rollouts count.
    pub audience: Audience,
}

impl SelectOptions<'static> {
    /// How the publisher's previews judge an install on `channel` in
    /// `audience`: required releases honoured, no patch failed, patches
    /// not considered (the target, not the download, is asked).
    fn judging(channel: Channel, audience: Audience) -> Self {
        SelectOptions {
            channel,
            ignore_required: false,
            patches_allowed: false,
            failed_patches: &[],
            audience,
        }
    }
}

/// Chooses the update for a client at `current` on `channel`; `releases`
/// sorted oldest first. [`select_with`] for everyone (no rollout bucket).
pub fn select(
    releases: &[Release],
    current: &AppVersion,
    channel: Channel,
    ignore_required: bool,
    patches_allowed: bool,
    failed_patches: &[String],
) -> Option<Selection> {
    select_with(
        releases,
        current,
        &SelectOptions {
            channel,
            ignore_required,
            patches_allowed,
            failed_patches,
            audience: Audience::Everyone,
        },
    )
}

/// Chooses the update for a client at `current`; `releases` sorted oldest
/// first.
///
/// Candidates are the releases above `current` offered on the channel and,
/// by their rollout, to the client's audience ([`rollout_offers`]); pulled
/// releases are ignored. Unless `ignore_required`, the first *required*
/// candidate is the target, otherwise the newest; a required release the
/// rollout does not offer yet (rolling above the bucket, or paused) is
/// never skipped: the candidates end before it. Without a candidate, a
/// client on a pulled release is sent to its signed `rollback_to` (the
/// only downgrade, by full archive).
///
/// Patches are used when `patches_allowed`, every release in
/// (current, target] has a patch that never failed here, and the chain
/// totals at most [`patch_limit_bytes`] of the target's archive. The
/// chain may pass through releases the client is not offered: their
/// patches are only steps.
pub fn select_with(
    releases: &[Release],
    current: &AppVersion,
    opts: &SelectOptions<'_>,
) -> Option<Selection> {
    let mut candidates: Vec<usize> = Vec::new();
    for (i, r) in releases.iter().enumerate() {
        if &r.version <= current || !offered_on(&r.version, opts.channel) || is_pulled(r) {
            continue;
        }
        if rollout_offers(r, opts.audience) {
            candidates.push(i);
        } else if r.required && !opts.ignore_required {
            // Going past it would skip a required release.
            break;
        }
    }
    let target = if opts.ignore_required {
        candidates.last().copied()
    } else {
        candidates
            .iter()
            .copied()
            .find(|&i| releases[i].required)
            .or_else(|| candidates.last().copied())
    };
    let Some(target) = target else {
        return rollback_from(releases, current);
    };
    // The chain runs through every release in (current, target], whatever
    // its channel: each patch applies to the tar of the one before. It
    // starts from a tar the repository knows.
    let mut chain_bytes = None;
    let mut chain = Vec::new();
    if opts.patches_allowed && releases.iter().any(|r| &r.version == current) {
        let steps: Vec<usize> = (0..=target)
            .filter(|&i| &releases[i].version > current)
            .collect();
        let sizes: Option<Vec<u64>> = steps
            .iter()
            .map(|&i| {
                releases[i]
                    .patch
                    .as_ref()
                    .filter(|p| !opts.failed_patches.contains(&p.name))
                    .map(|p| p.size)
            })
            .collect();
        chain_bytes = sizes.map(|s| s.iter().sum::<u64>());
        if chain_bytes.is_some_and(|b| b <= patch_limit_bytes(releases[target].archive_size)) {
            chain = steps;
        }
    }
    Some(Selection {
        target,
        chain,
        chain_bytes,
        rollback: false,
    })
}

/// The signed way back for a client on a pulled release: its
/// `rollback_to`, when that release is listed, older and not pulled itself.
fn rollback_from(releases: &[Release], current: &AppVersion) -> Option<Selection> {
    let on = releases.iter().find(|r| &r.version == current)?;
    if !is_pulled(on) {
        return None;
    }
    let back = on.rollback_to.as_ref()?;
    let target = releases
        .iter()
        .position(|r| &r.version == back && &r.version < current && !is_pulled(r))?;
    Some(Selection {
        target,
        chain: Vec::new(),
        chain_bytes: None,
        rollback: true,
    })
}

/// The last good release before `version`, what a pull sends `version`'s
/// clients back to: the newest older one out to every install (no
/// rollout recorded: a release still rolling out, paused or pulled would
/// be pushed by the way back to installs its rollout never chose) on
/// `version`'s channel (a stable install is never sent back to a beta).
pub fn last_good_before<'a>(releases: &'a [Release], version: &AppVersion) -> Option<&'a Release> {
    let channel = channel_of(version);
    releases
        .iter()
        .rev()
        .find(|r| &r.version < version && offered_on(&r.version, channel) && fully_out(r))
}

/// Out to every install: no rollout recorded, or rolling at 100%.
fn fully_out(r: &Release) -> bool {
    r.rollout
        .is_none_or(|o| o.state == RolloutState::Rolling && o.percent >= 100)
}

/// The releases of one stream (oldest first) with release `version`'s
/// rollout set to `rollout` (none: out to every install), and every
/// pulled release pointed at its [`last_good_before`]: the invariant each
/// rollout change keeps, so pausing or narrowing a way-back target, or
/// pulling it, moves the way back rather than leaving it on a release the
/// publisher no longer offers. None when the stream has no such release.
pub fn with_rollout(
    releases: &[Release],
    version: &AppVersion,
    rollout: Option<Rollout>,
) -> Option<Vec<Release>> {
    let i = releases.iter().position(|r| &r.version == version)?;
    let mut out = releases.to_vec();
    out[i].rollout = rollout;
    out[i].rollback_to = None;
    for j in 0..out.len() {
        if is_pulled(&out[j]) {
            let back = last_good_before(&out, &out[j].version).map(|r| r.version.clone());
            out[j].rollback_to = back;
        }
    }
    Some(out)
}

/// The releases of one stream after pulling `version` ([`with_rollout`]
/// with its rollout pulled, keeping how far it reached).
pub fn pulled(releases: &[Release], version: &AppVersion) -> Option<Vec<Release>> {
    let current = releases.iter().find(|r| &r.version == version)?.rollout;
    let percent = current.map_or(100, |o| o.percent);
    with_rollout(
        releases,
        version,
        Some(Rollout::changed(current, percent, RolloutState::Pulled)),
    )
}

/// Installs on one release whose next step changes with a rollout change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Shift {
    /// The release they are on.
    #[serde(serialize_with = "crate::serde_util::display")]
    pub from_version: AppVersion,
    /// How many of the 100 rollout buckets.
    pub buckets: u8,
    /// Where they went before (none: no update).
    #[serde(serialize_with = "crate::serde_util::opt_display")]
    pub before: Option<AppVersion>,
    /// `before` was a signed way back.
    pub before_rollback: bool,
    /// Where they go after (none: no update).
    #[serde(serialize_with = "crate::serde_util::opt_display")]
    pub after: Option<AppVersion>,
    /// `after` is a signed way back.
    pub after_rollback: bool,
    /// They get no update after only because a required release they may
    /// not skip is not offered to them (paused, pulled or narrowed),
    /// while a newer release would be.
    pub held_by_required: bool,
}

/// For installs on every release of `before` except `skip` (the same
/// releases as `after`, oldest first, only rollouts differing), each on
/// its own channel and in the buckets that may be on it: where the client
/// sends them before and after, grouped, only where that differs.
pub fn shifts(before: &[Release], after: &[Release], skip: &AppVersion) -> Vec<Shift> {
    let decide = |rs: &[Release], from: &AppVersion, bucket: u8, ignore_required| {
        let opts = SelectOptions {
            ignore_required,
            ..SelectOptions::judging(channel_of(from), Audience::Bucket(bucket))
        };
        select_with(rs, from, &opts).map(|s| (rs[s.target].version.clone(), s.rollback))
    };
    let mut out: Vec<Shift> = Vec::new();
    for r in before.iter().filter(|r| &r.version != skip) {
        let on = r.rollout.map_or(100, |o| o.reached());
        for bucket in 0..on {
            let b = decide(before, &r.version, bucket, false);
            let a = decide(after, &r.version, bucket, false);
            if b == a {
                continue;
            }
            let held_by_required = a.is_none() && decide(after, &r.version, bucket, true).is_some();
            let (before_v, before_rollback) = b.map_or((None, false), |(v, rb)| (Some(v), rb));
            let (after_v, after_rollback) = a.map_or((None, false), |(v, rb)| (Some(v), rb));
            let same = |s: &&mut Shift| {
                s.from_version == r.version
                    && s.before == before_v
                    && s.after == after_v
                    && s.held_by_required == held_by_required
            };
            match out.iter_mut().find(same) {
                Some(s) => s.buckets += 1,
                None => out.push(Shift {
                    from_version: r.version.clone(),
                    buckets: 1,
                    before: before_v,
                    before_rollback,
                    after: after_v,
                    after_rollback,
                    held_by_required,
                }),
            }
        }
    }
    out
}

/// Where a share of the installs on a pulled release go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PullOutcome {
    /// The release they update to: a newer one their rollout offers them,
    /// or the way back (none: they stay on the pulled release).
    #[serde(serialize_with = "crate::serde_util::opt_display")]
    pub to_version: Option<AppVersion>,
    /// `to_version` is the signed way back, a downgrade by full archive.
    pub rollback: bool,
    /// How many of the buckets that may be on the release.
    pub buckets: u8,
}

/// An earlier pulled release whose clients were sent to the release being
/// pulled: where they are sent now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Repointed {
    /// The earlier pulled release.
    #[serde(serialize_with = "crate::serde_util::display")]
    pub version: AppVersion,
    /// Its new way back (none: its clients stay on it).
    #[serde(serialize_with = "crate::serde_util::opt_display")]
    pub rollback_to: Option<AppVersion>,
}

/// What pulling a release does, shown before the person confirms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PullPreview {
    /// The release to pull.
    #[serde(serialize_with = "crate::serde_util::display")]
    pub version: AppVersion,
    /// Its platform, if it has one.
    pub platform: Option<String>,
    /// How many of the 100 rollout buckets may be on it: the widest share
    /// it was ever offered to (100 without a rollout).
    pub buckets: u8,
    /// The way back written into it (none: no good release before it).
    #[serde(serialize_with = "crate::serde_util::opt_display")]
    pub rollback_to: Option<AppVersion>,
    /// What the installs on it then do, bucket by bucket, as the client
    /// decides it: a newer release their rollout offers wins over going
    /// back. Newest target first; staying last.
    pub outcomes: Vec<PullOutcome>,
    /// Earlier pulls whose way back changes with this one.
    pub repointed: Vec<Repointed>,
    /// Installs on other releases whose next step changes: those heading
    /// for it, those that stopped at it as a required release.
    pub others: Vec<Shift>,
}

/// What pulling release `version` of `releases` (one stream, oldest
/// first) does, as [`pulled`] and the client's [`select_with`] decide it;
/// none when the stream has no such release.
pub fn pull_preview(
    releases: &[Release],
    version: &AppVersion,
    platform: Option<&str>,
) -> Option<PullPreview> {
    let release = releases.iter().find(|r| &r.version == version)?;
    let buckets = release.rollout.map_or(100, |r| r.reached());
    let after = pulled(releases, version)?;
    let outcomes = split_by_bucket(&after, version, channel_of(version), 0..buckets)
        .into_iter()
        .map(|s| PullOutcome {
            to_version: s.target.map(|t| after[t].version.clone()),
            rollback: s.rollback,
            buckets: s.buckets,
        })
        .collect();
    Some(PullPreview {
        version: version.clone(),
        platform: platform.map(str::to_string),
        buckets,
        rollback_to: after
            .iter()
            .find(|r| &r.version == version)
            .and_then(|r| r.rollback_to.clone()),
        outcomes,
        repointed: repointed_by(releases, &after, version),
        others: shifts(releases, &after, version),
    })
}

/// The pulled releases (other than `version`) whose way back differs
/// between `before` and `after`.
pub fn repointed_by(before: &[Release], after: &[Release], version: &AppVersion) -> Vec<Repointed> {
    before
        .iter()
        .zip(after)
        .filter(|(b, now)| &b.version != version && is_pulled(now))
        .filter(|(b, now)| b.rollback_to != now.rollback_to)
        .map(|(_, now)| Repointed {
            version: now.version.clone(),
            rollback_to: now.rollback_to.clone(),
        })
        .collect()
}

/// What a client on an older release downloads next, exactly as
/// [`select`] decides it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ClientDownload {
    /// The client's current version.
    #[serde(serialize_with = "crate::serde_util::display")]
    pub from_version: AppVersion,
    /// The channel the client is assumed to follow: its own version's (a
    /// beta tester stays on beta, a stable install on stable).
    pub channel: Channel,
    /// The version it updates to next; none when its channel offers
    /// nothing newer.
    #[serde(serialize_with = "crate::serde_util::opt_display")]
    pub to_version: Option<AppVersion>,
    /// `patch` (chain) or `full` (archive); none without an update.
    pub method: Option<Method>,
    /// Files downloaded, in order.
    pub files: Vec<String>,
    /// Total bytes downloaded.
    pub bytes: u64,
    /// Size of the target's full archive (0 without an update).
    pub full_bytes: u64,
    /// Size of the patch chain to the target, when one exists.
    pub patch_chain_bytes: Option<u64>,
    /// The largest chain the client takes instead of the archive.
    pub patch_limit_bytes: u64,
    /// A required release before the newest on the client's channel: the
    /// client stops there first (it is `to_version`).
    #[serde(serialize_with = "crate::serde_util::opt_display")]
    pub stops_first_at: Option<AppVersion>,
    /// `from_version` is pulled and nothing newer is offered: `to_version`
    /// is its signed rollback target, an older release (by full archive).
    pub rollback: bool,
    /// `to_version` is rolling out to this share of installs (below 100):
    /// only the installs it reaches take it; the others stay or take an
    /// earlier release.
    pub to_rollout: Option<u8>,
}

/// For every release but the newest (`releases` oldest first): what its
/// clients download next, by [`select_with`] on the release's own channel,
/// honouring required releases, assuming they cached their current
/// archive (as patching needs) and no patch failed for them, and that
/// every rollout has reached them ([`Audience::Admitted`]: never a paused
/// release). The newest release is listed too when it is pulled and its
/// clients are sent back to its rollback target.
pub fn client_downloads(releases: &[Release]) -> Vec<ClientDownload> {
    let Some(newest) = releases.len().checked_sub(1) else {
        return Vec::new();
    };
    // rollout_offers never counts a pulled release.
    let admitted = |r: &Release| rollout_offers(r, Audience::Admitted);
    releases
        .iter()
        .enumerate()
        .filter_map(|(i, from)| {
            let channel = channel_of(&from.version);
            let newest_offered = releases
                .iter()
                .rev()
                .find(|r| {
                    r.version > from.version && offered_on(&r.version, channel) && admitted(r)
                })
                .map(|r| r.version.clone());
            let none = ClientDownload {
                from_version: from.version.clone(),
                channel,
                to_version: None,
                method: None,
                files: Vec::new(),
                bytes: 0,
                full_bytes: 0,
                patch_chain_bytes: None,
                patch_limit_bytes: 0,
                stops_first_at: None,
                rollback: false,
                to_rollout: None,
            };
            let opts = SelectOptions {
                patches_allowed: true,
                ..SelectOptions::judging(channel, Audience::Admitted)
            };
            let Some(sel) = select_with(releases, &from.version, &opts) else {
                // The newest has nothing to go to: not a row of its own.
                return (i < newest).then_some(none);
            };
            let target = &releases[sel.target];
            let (files, bytes) = match sel.method() {
                Method::Patch => sel
                    .chain
                    .iter()
                    .filter_map(|&i| releases[i].patch.as_ref())
                    .fold((Vec::new(), 0), |(mut names, total), p| {
                        names.push(p.name.clone());
                        (names, total + p.size)
                    }),
                Method::Full => (vec![target.archive.clone()], target.archive_size),
            };
            Some(ClientDownload {
                to_version: Some(target.version.clone()),
                method: Some(sel.method()),
                files,
                bytes,
                full_bytes: target.archive_size,
                patch_chain_bytes: sel.chain_bytes,
                patch_limit_bytes: patch_limit_bytes(target.archive_size),
                stops_first_at: (!sel.rollback && newest_offered.as_ref() != Some(&target.version))
                    .then(|| target.version.clone()),
                rollback: sel.rollback,
                to_rollout: target
                    .rollout
                    .filter(|o| o.state == RolloutState::Rolling && o.percent < 100)
                    .map(|o| o.percent),
                ..none
            })
        })
        .collect()
}

/// The share of installs, in rollout buckets out of 100, that go to one
/// release (or nowhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BucketShare {
    /// Index of the release they update to (none: no update for them).
    pub target: Option<usize>,
    /// Their signed rollback (see [`Selection::rollback`]).
    pub rollback: bool,
    /// How many of the 100 buckets.
    pub buckets: u8,
}

/// How installs on `current` (following `channel`) in the rollout
/// `buckets` (`0..100`: all of them) split, as the client decides it
/// ([`select_with`] for each bucket), newest target first and "no update"
/// last. `current` need not be listed: clients on a removed release are
/// judged the same way.
pub fn split_by_bucket(
    releases: &[Release],
    current: &AppVersion,
    channel: Channel,
    buckets: std::ops::Range<u8>,
) -> Vec<BucketShare> {
    let mut out: Vec<BucketShare> = Vec::new();
    for bucket in buckets {
        let sel = select_with(
            releases,
            current,
            &SelectOptions::judging(channel, Audience::Bucket(bucket)),
        );
        let target = sel.as_ref().map(|s| s.target);
        match out.iter_mut().find(|s| s.target == target) {
            Some(share) => share.buckets += 1,
            None => out.push(BucketShare {
                target,
                rollback: sel.is_some_and(|s| s.rollback),
                buckets: 1,
            }),
        }
    }
    out.sort_by_key(|s| std::cmp::Reverse(s.target.map(|t| t + 1).unwrap_or(0)));
    out
}

// ----------------------------------------------------------- release notes

/// The release notes in a release's custom metadata: the `notes` string
/// of `{"notes": "…"}`, when there is one and it is not blank.
pub fn release_notes(user: Option<&serde_json::Value>) -> Option<String> {
    user.and_then(|u| u.get("notes"))
        .and_then(|n| n.as_str())
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string)
}

/// Custom metadata holding release `notes` (none for blank notes).
pub fn notes_metadata(notes: &str) -> Option<serde_json::Value> {
    let notes = notes.trim();
    (!notes.is_empty()).then(|| serde_json::json!({ "notes": notes }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> AppVersion {
        s.parse().expect("test version")
    }

    fn rel(ver: &str, required: bool, patch: Option<u64>) -> Release {
        crate::releases::test_release(ver, 100, patch, required)
    }

    #[test]
    fn expiry_warns_in_the_last_fifth_at_least_a_day_but_at_most_half_the_period_ahead() {
        // 30 days: the last 6 days.
        assert_eq!(warning_window_secs(Some(30)), 6 * DAY_SECS);
        assert_eq!(expiry_severity(6 * DAY_SECS, Some(30)), Severity::Ok);
        assert_eq!(expiry_severity(6 * DAY_SECS - 1, Some(30)), Severity::Warn);
        // 1 day: a fresh timestamp is fine; the last 12 hours warn.
        assert_eq!(warning_window_secs(Some(1)), DAY_SECS / 2);
        assert_eq!(expiry_severity(DAY_SECS - 60, Some(1)), Severity::Ok);
        assert_eq!(expiry_severity(DAY_SECS / 2 - 1, Some(1)), Severity::Warn);
        // 7 days: the last fifth (1.4 days) is already more than a day.
        assert_eq!(warning_window_secs(Some(7)), 7 * DAY_SECS / 5);
        // Unknown period: one day.
        assert_eq!(warning_window_secs(None), DAY_SECS);
        assert_eq!(expiry_severity(2 * DAY_SECS, None), Severity::Ok);
        // Expired, whatever the period.
        assert_eq!(expiry_severity(0, Some(365)), Severity::Expired);
        assert_eq!(expiry_severity(-5, None), Severity::Expired);
        // The same seconds left: a week-long role warns, a year-long root
        // does too (73 days), a month does not.
        assert_eq!(expiry_severity(10 * DAY_SECS, Some(365)), Severity::Warn);
        assert_eq!(expiry_severity(10 * DAY_SECS, Some(30)), Severity::Ok);
    }

    #[test]
    fn default_periods() {
        let days: Vec<u32> = TopRole::ALL
            .iter()
            .map(|&r| default_expiry_days(r))
            .collect();
        assert_eq!(days, [365, 30, 7, 1]);
    }

    #[test]
    fn channels_of_versions() {
        assert_eq!(channel_of(&v("1.0")), Channel::Stable);
        assert_eq!(channel_of(&v("1.0rc2")), Channel::Rc);
        assert_eq!(channel_of(&v("1.0b1")), Channel::Beta);
        assert_eq!(channel_of(&v("1.0a1")), Channel::Alpha);
        assert_eq!(channel_of(&v("1.0.dev3")), Channel::Alpha);
        assert_eq!(channel_of(&v("1.0.post1")), Channel::Stable);
        assert!(offered_on(&v("1.0"), Channel::Beta));
        assert!(offered_on(&v("1.0rc1"), Channel::Beta));
        assert!(!offered_on(&v("1.0b1"), Channel::Rc));
    }

    #[test]
    fn patch_limit_is_80_percent_rounded_down() {
        assert_eq!(patch_limit_bytes(100), 80);
        assert_eq!(patch_limit_bytes(101), 80);
        assert_eq!(patch_limit_bytes(104), 83);
        assert_eq!(patch_limit_bytes(0), 0);
        assert_eq!(patch_limit_bytes(u64::MAX), u64::MAX / 5 * 4);
    }

    #[test]
    fn newest_stable_by_patch_chain() {
        let rs = [
            rel("1.0", false, None),
            rel("1.1", false, Some(10)),
            rel("2.0", false, Some(20)),
        ];
        let s = select(&rs, &v("1.0"), Channel::Stable, false, true, &[]).unwrap();
        assert_eq!(
            s,
            Selection {
                target: 2,
                chain: vec![1, 2],
                chain_bytes: Some(30),
                rollback: false,
            }
        );
        assert_eq!(s.method(), Method::Patch);
        assert!(select(&rs, &v("2.0"), Channel::Stable, false, true, &[]).is_none());
    }

    #[test]
    fn required_release_stops_the_client_unless_ignored() {
        let rs = [
            rel("1.0", false, None),
            rel("1.1", true, Some(10)),
            rel("2.0", false, Some(20)),
        ];
        let target = |cur: &str, ignore: bool| {
            select(&rs, &v(cur), Channel::Stable, ignore, true, &[])
                .unwrap()
                .target
        };
        assert_eq!(target("1.0", false), 1);
        assert_eq!(target("1.0", true), 2);
        assert_eq!(target("1.1", false), 2);
    }

    #[test]
    fn channels_include_more_stable_releases() {
        let rs = [
            rel("1.0", false, None),
            rel("1.1a1", false, Some(1)),
            rel("1.1b1", false, Some(1)),
            rel("1.1rc1", false, Some(1)),
        ];
        assert!(select(&rs, &v("1.0"), Channel::Stable, false, true, &[]).is_none());
        let target =
            |rs: &[Release], ch| select(rs, &v("1.0"), ch, false, true, &[]).map(|s| s.target);
        assert_eq!(target(&rs, Channel::Rc), Some(3));
        let b = select(&rs, &v("1.0"), Channel::Beta, false, true, &[]).unwrap();
        assert_eq!(b.target, 3);
        let rs2 = &rs[..3];
        assert_eq!(target(rs2, Channel::Beta), Some(2));
        assert_eq!(target(rs2, Channel::Rc), None);
        assert_eq!(target(rs2, Channel::Alpha), Some(2));
        // The chain runs through every release, whatever its channel.
        assert_eq!(b.chain, vec![1, 2, 3]);
    }

    #[test]
    fn full_archive_when_chain_is_too_big_broken_failed_or_uncached() {
        let full = |rs: &[Release], cur: &str, allowed: bool, failed: &[String]| {
            select(rs, &v(cur), Channel::Stable, false, allowed, failed)
                .unwrap()
                .method()
                == Method::Full
        };
        let big = [
            rel("1.0", false, None),
            rel("1.1", false, Some(50)),
            rel("2.0", false, Some(31)),
        ];
        assert!(full(&big, "1.0", true, &[]));
        assert_eq!(
            select(&big, &v("1.0"), Channel::Stable, false, true, &[])
                .unwrap()
                .chain_bytes,
            Some(81),
            "the chain that lost to the archive is still reported"
        );
        let broken = [
            rel("1.0", false, None),
            rel("1.1", false, None),
            rel("2.0", false, Some(1)),
        ];
        assert!(full(&broken, "1.0", true, &[]));
        let ok = [rel("1.0", false, None), rel("2.0", false, Some(1))];
        assert!(!full(&ok, "1.0", true, &[]));
        assert!(full(&ok, "1.0", true, &["a-2.0.patch".into()]));
        assert!(full(&ok, "1.0", false, &[]));
        // A current version unknown to the repository cannot be patched.
        assert!(full(&ok, "0.9", true, &[]));
    }

    #[test]
    fn downloads_follow_the_80_percent_rule() {
        let rs = vec![
            rel("1.0", false, None),
            rel("1.1", false, Some(30)),
            rel("1.2", false, Some(50)),
        ];
        let d = client_downloads(&rs);
        // 1.0: 30 + 50 = 80 <= 80% of 100: patches.
        assert_eq!(d[0].method, Some(Method::Patch));
        assert_eq!(d[0].bytes, 80);
        assert_eq!(d[0].files, vec!["a-1.1.patch", "a-1.2.patch"]);
        assert_eq!(d[0].patch_limit_bytes, 80);
        assert_eq!(d[1].method, Some(Method::Patch));
        assert_eq!(d[1].bytes, 50);
        assert_eq!(d[1].to_version, Some(v("1.2")));
    }

    #[test]
    fn downloads_stop_at_a_required_release_like_the_client() {
        let rs = vec![
            rel("1.0", false, None),
            rel("1.1", true, Some(31)),
            rel("1.2", false, Some(50)),
        ];
        let d = client_downloads(&rs);
        // The client goes to 1.1 first, by its 31-byte patch; the old
        // preview showed the full archive of 1.2, which no client fetches.
        assert_eq!(d[0].to_version, Some(v("1.1")));
        assert_eq!(d[0].stops_first_at, Some(v("1.1")));
        assert_eq!(d[0].method, Some(Method::Patch));
        assert_eq!(d[0].files, vec!["a-1.1.patch"]);
        assert_eq!(d[0].bytes, 31);
        assert_eq!(d[1].to_version, Some(v("1.2")));
        assert_eq!(d[1].stops_first_at, None);
    }

    #[test]
    fn downloads_follow_each_clients_channel() {
        let rs = vec![
            rel("1.0", false, None),
            rel("1.1b1", false, Some(10)),
            rel("1.1", false, Some(10)),
            rel("1.2b1", false, Some(10)),
        ];
        let d = client_downloads(&rs);
        // Stable clients are not offered 1.2b1: 1.0 goes to 1.1, 1.1 stays.
        assert_eq!(d[0].channel, Channel::Stable);
        assert_eq!(d[0].to_version, Some(v("1.1")));
        assert_eq!(d[0].files, vec!["a-1.1b1.patch", "a-1.1.patch"]);
        assert_eq!(d[1].channel, Channel::Beta);
        assert_eq!(d[1].to_version, Some(v("1.2b1")));
        assert_eq!(d[2].to_version, None);
        assert_eq!(d[2].method, None);
        assert!(d[2].files.is_empty());
        assert!(client_downloads(&rs[..1]).is_empty());
        assert!(client_downloads(&[]).is_empty());
    }

    #[test]
    fn missing_patch_breaks_the_chain() {
        let rs = vec![
            rel("1.0", false, None),
            rel("1.1", false, None),
            rel("1.2", false, Some(5)),
        ];
        let d = client_downloads(&rs);
        assert_eq!(d[0].method, Some(Method::Full));
        assert_eq!(d[0].patch_chain_bytes, None);
        assert_eq!(d[0].files, vec!["a-1.2.tar.gz"]);
        assert_eq!(d[1].method, Some(Method::Patch));
    }

    fn rolled(ver: &str, percent: u8, state: RolloutState) -> Release {
        let mut r = rel(ver, false, Some(10));
        r.rollout = Some(crate::target::Rollout::new(percent, state));
        r
    }

    fn pick(rs: &[Release], cur: &str, audience: Audience) -> Option<(AppVersion, bool)> {
        let opts = SelectOptions {
            channel: Channel::Stable,
            ignore_required: false,
            patches_allowed: true,
            failed_patches: &[],
            audience,
        };
        select_with(rs, &v(cur), &opts).map(|s| (rs[s.target].version.clone(), s.rollback))
    }

    #[test]
    fn rollout_buckets_pause_and_testers() {
        let rs = [
            rel("1.0", false, None),
            rel("1.1", false, Some(10)),
            rolled("1.2", 25, RolloutState::Rolling),
        ];
        assert_eq!(
            pick(&rs, "1.0", Audience::Bucket(24)),
            Some((v("1.2"), false))
        );
        // Outside the rollout: the previous release is the latest.
        assert_eq!(
            pick(&rs, "1.0", Audience::Bucket(25)),
            Some((v("1.1"), false))
        );
        assert_eq!(pick(&rs, "1.1", Audience::Bucket(99)), None);
        let paused = [
            rel("1.0", false, None),
            rolled("1.1", 50, RolloutState::Paused),
        ];
        assert_eq!(pick(&paused, "1.0", Audience::Bucket(0)), None);
        // Testers take a paused release, never a pulled one.
        assert_eq!(
            pick(&paused, "1.0", Audience::Everyone),
            Some((v("1.1"), false))
        );
        let pulled = [
            rel("1.0", false, None),
            rolled("1.1", 50, RolloutState::Pulled),
        ];
        assert_eq!(pick(&pulled, "1.0", Audience::Everyone), None);
        // The bucket is stable and below 100.
        assert_eq!(install_bucket("abc"), install_bucket("abc"));
        assert!((0..1000).all(|i| install_bucket(&i.to_string()) < 100));
    }

    #[test]
    fn pulled_release_rolls_back_unless_a_newer_one_is_offered() {
        let mut bad = rolled("1.1", 100, RolloutState::Pulled);
        bad.rollback_to = Some(v("1.0"));
        let rs = [rel("1.0", false, None), bad.clone()];
        assert_eq!(
            pick(&rs, "1.1", Audience::Bucket(3)),
            Some((v("1.0"), true))
        );
        let full = select_with(
            &rs,
            &v("1.1"),
            &SelectOptions {
                channel: Channel::Stable,
                ignore_required: false,
                patches_allowed: true,
                failed_patches: &[],
                audience: Audience::Everyone,
            },
        )
        .unwrap();
        assert_eq!(full.method(), Method::Full, "a rollback is by full archive");
        // A fixed release above: forward, not back.
        let fixed = [rel("1.0", false, None), bad, rel("1.2", false, Some(10))];
        assert_eq!(
            pick(&fixed, "1.1", Audience::Bucket(3)),
            Some((v("1.2"), false))
        );
        assert_eq!(
            last_good_before(&fixed, &v("1.2")).map(|r| r.version.clone()),
            Some(v("1.0"))
        );
    }

    #[test]
    fn previews_never_send_clients_to_a_release_no_install_gets() {
        let rs = [
            rel("1.0", false, None),
            rel("1.1", false, Some(10)),
            rolled("1.2", 50, RolloutState::Paused),
        ];
        // Testers would take the paused 1.2; the publisher's preview must
        // not say clients do.
        assert_eq!(
            pick(&rs, "1.0", Audience::Everyone),
            Some((v("1.2"), false))
        );
        let d = client_downloads(&rs);
        assert_eq!(d[0].to_version, Some(v("1.1")));
        assert_eq!(d[0].stops_first_at, None);
        assert_eq!(d[1].to_version, None);
        // 0% is nobody; any other percentage is where admitted installs go.
        let zero = [
            rel("1.0", false, None),
            rolled("1.1", 0, RolloutState::Rolling),
        ];
        assert_eq!(client_downloads(&zero)[0].to_version, None);
        let some = [
            rel("1.0", false, None),
            rolled("1.1", 1, RolloutState::Rolling),
        ];
        assert_eq!(client_downloads(&some)[0].to_version, Some(v("1.1")));
        // Only the installs its rollout reaches: said with the share.
        assert_eq!(client_downloads(&some)[0].to_rollout, Some(1));
        assert_eq!(d[0].to_rollout, None);
    }

    #[test]
    fn a_pulled_newest_release_lists_its_clients_going_back() {
        let mut bad = rolled("1.1", 100, RolloutState::Pulled);
        bad.rollback_to = Some(v("1.0"));
        let d = client_downloads(&[rel("1.0", false, None), bad]);
        assert_eq!(d.len(), 2);
        assert_eq!(d[1].from_version, v("1.1"));
        assert_eq!(d[1].to_version, Some(v("1.0")));
        assert!(d[1].rollback);
        assert_eq!(d[1].method, Some(Method::Full));
        assert_eq!(d[1].stops_first_at, None);
        // Clients on 1.0 have nothing newer: the pulled 1.1 is no offer.
        assert_eq!(d[0].to_version, None);
    }

    #[test]
    fn the_way_back_is_on_the_pulled_releases_channel_and_still_offered() {
        let rs = [
            rel("1.0", false, None),
            rel("1.1rc1", false, Some(10)),
            rolled("1.1", 100, RolloutState::Rolling),
        ];
        // A stable install is never sent back to a release candidate.
        assert_eq!(
            last_good_before(&rs, &v("1.1")).map(|r| r.version.clone()),
            Some(v("1.0"))
        );
        assert_eq!(
            last_good_before(&rs, &v("1.2rc1")).map(|r| r.version.clone()),
            Some(v("1.1"))
        );
        let rs = [
            rel("1.0", false, None),
            rolled("1.1", 0, RolloutState::Rolling),
            rolled("1.2", 50, RolloutState::Paused),
            rolled("1.2.1", 10, RolloutState::Rolling),
            rel("1.3", false, Some(10)),
        ];
        // 0%, paused, and 10%: none is out to every install; sending the
        // pulled release's clients there would widen a rollout nobody chose.
        assert_eq!(
            last_good_before(&rs, &v("1.3")).map(|r| r.version.clone()),
            Some(v("1.0"))
        );
    }

    #[test]
    fn installs_split_by_bucket_as_each_client_decides() {
        let rs = [
            rel("1.0", false, None),
            rel("1.1", false, Some(10)),
            rolled("1.2", 30, RolloutState::Rolling),
        ];
        let split = split_by_bucket(&rs, &v("0.9"), Channel::Stable, 0..100);
        let shares: Vec<(Option<usize>, u8)> =
            split.iter().map(|s| (s.target, s.buckets)).collect();
        assert_eq!(shares, vec![(Some(2), 30), (Some(1), 70)]);
        // A required release in rollout stops everyone: those it has not
        // reached wait for it.
        let mut req = rolled("1.1", 40, RolloutState::Rolling);
        req.required = true;
        let rs = [rel("1.0", false, None), req, rel("1.2", false, Some(10))];
        let split = split_by_bucket(&rs, &v("1.0"), Channel::Stable, 0..100);
        let shares: Vec<(Option<usize>, u8)> =
            split.iter().map(|s| (s.target, s.buckets)).collect();
        assert_eq!(shares, vec![(Some(1), 40), (None, 60)]);
    }

    #[test]
    fn notes_in_custom_metadata() {
        let meta = notes_metadata("  New sync engine \n").unwrap();
        assert_eq!(meta, serde_json::json!({"notes": "New sync engine"}));
        assert_eq!(
            release_notes(Some(&meta)).as_deref(),
            Some("New sync engine")
        );
        assert_eq!(notes_metadata("  "), None);
        assert_eq!(release_notes(None), None);
        assert_eq!(release_notes(Some(&serde_json::json!({"notes": 3}))), None);
        assert_eq!(
            release_notes(Some(&serde_json::json!({"other": "x"}))),
            None
        );
    }

    #[test]
    fn plan_warns_about_an_identical_tar_and_a_patch_no_client_uses() {
        let prev = v("1.0");
        assert_eq!(
            plan_warnings(Some((&prev, "aa")), "bb", 1000, Some(100)),
            vec![]
        );
        let same = plan_warnings(Some((&prev, "aa")), "aa", 1000, Some(10));
        assert_eq!(same.len(), 1);
        assert_eq!(same[0].kind, PlanWarningKind::IdenticalToPrevious);
        assert!(
            same[0].text.contains("identical to release 1.0"),
            "{}",
            same[0].text
        );
        // At the limit a chain of this patch alone is still taken.
        assert_eq!(plan_warnings(None, "aa", 1000, Some(800)), vec![]);
        let above = plan_warnings(None, "aa", 1000, Some(801));
        assert_eq!(above[0].kind, PlanWarningKind::PatchNotSmaller);
        assert!(
            above[0].text.contains("above 80% of the archive"),
            "{}",
            above[0].text
        );
        let larger = plan_warnings(None, "aa", 1000, Some(2048));
        assert!(
            larger[0]
                .text
                .contains("(2.0 KiB) is not smaller than the archive (1000 B)"),
            "{}",
            larger[0].text
        );
    }

    #[test]
    fn pull_preview_counts_the_buckets_offered_and_names_the_way_back() {
        let mut all = vec![rel("1.0", false, None), rel("1.1", false, Some(10))];
        all.push(rel("1.2", false, Some(10)));
        all[1].rollout = Some(crate::target::Rollout {
            reached: None,
            percent: 30,
            state: RolloutState::Pulled,
        });
        all[2].rollout = Some(crate::target::Rollout {
            reached: None,
            percent: 25,
            state: RolloutState::Rolling,
        });
        let p = pull_preview(&all, &v("1.2"), Some("linux-x86_64")).expect("listed");
        assert_eq!(p.buckets, 25);
        // 1.1 is pulled already: the way back skips it.
        assert_eq!(p.rollback_to, Some(v("1.0")));
        assert_eq!(p.platform.as_deref(), Some("linux-x86_64"));
        let first = pull_preview(&all, &v("1.0"), None).expect("listed");
        assert_eq!((first.buckets, first.rollback_to), (100, None));
        assert_eq!(pull_preview(&all, &v("2.0"), None), None);
    }
}
