//! Which release to update to, and whether by patches or by the full
//! archive (tufup's semantics). Pure logic over the verified release list.

use crate::releases::{Release, PATCH_RATIO_LIMIT};
use crate::{AppVersion, Channel};

/// What a client on `current` should fetch.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// Index of the target release in the list.
    pub target: usize,
    /// Indices of the releases whose patches form the chain, in order
    /// (empty: full archive).
    pub chain: Vec<usize>,
}

/// Chooses the update for a client at `current` on `channel`.
///
/// Candidates are the releases above `current` whose channel is at least
/// as stable as `channel`. Unless `ignore_required`, the first *required*
/// candidate is the target; otherwise the newest. Patches are used when
/// `patches_allowed` (the current tar is cached and patching is enabled),
/// every release in (current, target] has a patch that never failed here,
/// and the chain totals at most 0.8 × the target's archive.
pub fn select(
    releases: &[Release],
    current: &AppVersion,
    channel: Channel,
    ignore_required: bool,
    patches_allowed: bool,
    failed_patches: &[String],
) -> Option<Selection> {
    let candidates: Vec<usize> = releases
        .iter()
        .enumerate()
        .filter(|(_, r)| &r.version > current && r.version.channel() >= channel)
        .map(|(i, _)| i)
        .collect();
    let target = if ignore_required {
        candidates.last().copied()
    } else {
        candidates
            .iter()
            .copied()
            .find(|&i| releases[i].required)
            .or_else(|| candidates.last().copied())
    }?;
    let mut chain = Vec::new();
    if patches_allowed && releases.iter().any(|r| &r.version == current) {
        let steps: Vec<usize> = (0..=target)
            .filter(|&i| &releases[i].version > current)
            .collect();
        let usable = steps.iter().all(|&i| {
            releases[i]
                .patch
                .as_ref()
                .is_some_and(|p| !failed_patches.contains(&p.name))
        });
        let total: u64 = steps
            .iter()
            .filter_map(|&i| releases[i].patch.as_ref().map(|p| p.size))
            .sum();
        if usable && (total as f64) <= PATCH_RATIO_LIMIT * releases[target].archive_size as f64 {
            chain = steps;
        }
    }
    Some(Selection { target, chain })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(v: &str, required: bool, patch: Option<u64>) -> crate::releases::Release {
        crate::releases::test_release(v, 100, patch, required)
    }

    fn v(s: &str) -> AppVersion {
        s.parse().unwrap()
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
                chain: vec![1, 2]
            }
        );
        assert!(select(&rs, &v("2.0"), Channel::Stable, false, true, &[]).is_none());
    }

    #[test]
    fn required_release_stops_the_client_unless_ignored() {
        let rs = [
            rel("1.0", false, None),
            rel("1.1", true, Some(10)),
            rel("2.0", false, Some(20)),
        ];
        assert_eq!(
            select(&rs, &v("1.0"), Channel::Stable, false, true, &[])
                .unwrap()
                .target,
            1
        );
        assert_eq!(
            select(&rs, &v("1.0"), Channel::Stable, true, true, &[])
                .unwrap()
                .target,
            2
        );
        assert_eq!(
            select(&rs, &v("1.1"), Channel::Stable, false, true, &[])
                .unwrap()
                .target,
            2
        );
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
        assert_eq!(
            select(&rs, &v("1.0"), Channel::Rc, false, true, &[])
                .unwrap()
                .target,
            3
        );
        let b = select(&rs, &v("1.0"), Channel::Beta, false, true, &[]).unwrap();
        assert_eq!(b.target, 3);
        let rs2 = &rs[..3];
        assert_eq!(
            select(rs2, &v("1.0"), Channel::Beta, false, true, &[])
                .unwrap()
                .target,
            2
        );
        assert!(select(rs2, &v("1.0"), Channel::Rc, false, true, &[]).is_none());
        assert_eq!(
            select(rs2, &v("1.0"), Channel::Alpha, false, true, &[])
                .unwrap()
                .target,
            2
        );
        // The chain runs through every release, whatever its channel.
        assert_eq!(b.chain, vec![1, 2, 3]);
    }

    #[test]
    fn full_archive_when_chain_is_too_big_broken_failed_or_uncached() {
        let big = [
            rel("1.0", false, None),
            rel("1.1", false, Some(50)),
            rel("2.0", false, Some(31)),
        ];
        assert!(select(&big, &v("1.0"), Channel::Stable, false, true, &[])
            .unwrap()
            .chain
            .is_empty());
        let broken = [
            rel("1.0", false, None),
            rel("1.1", false, None),
            rel("2.0", false, Some(1)),
        ];
        assert!(
            select(&broken, &v("1.0"), Channel::Stable, false, true, &[])
                .unwrap()
                .chain
                .is_empty()
        );
        let ok = [rel("1.0", false, None), rel("2.0", false, Some(1))];
        assert!(select(
            &ok,
            &v("1.0"),
            Channel::Stable,
            false,
            true,
            &["a-2.0.patch".into()]
        )
        .unwrap()
        .chain
        .is_empty());
        assert!(select(&ok, &v("1.0"), Channel::Stable, false, false, &[])
            .unwrap()
            .chain
            .is_empty());
        // A current version unknown to the repository cannot be patched.
        assert!(select(&ok, &v("0.9"), Channel::Stable, false, true, &[])
            .unwrap()
            .chain
            .is_empty());
    }
}
