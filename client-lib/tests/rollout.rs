//! Staged rollout decided from signed metadata: 1,000 simulated installs
//! (random ids, as clients create them) against one repository published
//! by `Publisher`, judged by the client's policy function itself.

use std::collections::BTreeSet;
use std::path::Path;
use tufa::policy::{install_bucket, select_with, Audience, SelectOptions};
use tufa::progress::NoProgress;
use tufa::publisher::rollout::RolloutChange;
use tufa::publisher::{AddRequest, InitOptions, Publisher};
use tufa::releases::{releases, Release};
use tufa::target::RolloutState;
use tufa::{AppVersion, Channel};

fn bundle(dir: &Path, version: &str) -> std::path::PathBuf {
    let b = dir.join(format!("b{version}"));
    std::fs::create_dir_all(&b).unwrap();
    std::fs::write(b.join("VERSION"), version).unwrap();
    b
}

/// The releases as a client reads them from the published targets.json.
fn published(publisher: &Publisher) -> Vec<Release> {
    let bytes = std::fs::read(publisher.repo().join("metadata/targets.json")).unwrap();
    let signed: tough::schema::Signed<tough::schema::Targets> =
        serde_json::from_slice(&bytes).unwrap();
    releases(&signed.signed, "demo").unwrap()
}

/// A project of app "demo" with `versions` released, oldest first.
fn with_releases(dir: &Path, versions: &[&str]) -> Publisher {
    let (publisher, _) = Publisher::init(&dir.join("proj"), &InitOptions::new("demo")).unwrap();
    for v in versions {
        publisher
            .add(&AddRequest::new(bundle(dir, v), v), &mut NoProgress)
            .unwrap();
    }
    publisher
}

/// The versions the published targets.json lists, oldest first.
fn published_versions(publisher: &Publisher) -> Vec<String> {
    published(publisher)
        .iter()
        .map(|r| r.version.to_string())
        .collect()
}

/// 1,000 install ids, made like the client's: 16 random bytes in hex
/// (here from a fixed generator, so the test is repeatable).
fn install_ids() -> Vec<String> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..1000)
        .map(|_| {
            let mut id = String::new();
            for _ in 0..2 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                id.push_str(&format!("{x:016x}"));
            }
            id
        })
        .collect()
}

/// The version each install at `current` is offered (none: stays).
fn offered(rs: &[Release], current: &str, ids: &[String]) -> Vec<Option<(AppVersion, bool)>> {
    let current: AppVersion = current.parse().unwrap();
    ids.iter()
        .map(|id| {
            select_with(
                rs,
                &current,
                &SelectOptions {
                    channel: Channel::Stable,
                    ignore_required: false,
                    patches_allowed: true,
                    failed_patches: &[],
                    audience: Audience::Bucket(install_bucket(id)),
                },
            )
            .map(|s| (rs[s.target].version.clone(), s.rollback))
        })
        .collect()
}

/// Earlier pulls re-pointed, as (version, new way back).
fn repointed(re: &[tufa::policy::Repointed]) -> Vec<(String, Option<String>)> {
    re.iter()
        .map(|r| {
            (
                r.version.to_string(),
                r.rollback_to.as_ref().map(ToString::to_string),
            )
        })
        .collect()
}

/// Shifts as (from, buckets, before, after).
fn shift_rows(shifts: &[tufa::policy::Shift]) -> Vec<(String, u8, Option<String>, Option<String>)> {
    shifts
        .iter()
        .map(|s| {
            (
                s.from_version.to_string(),
                s.buckets,
                s.before.as_ref().map(ToString::to_string),
                s.after.as_ref().map(ToString::to_string),
            )
        })
        .collect()
}

/// 100 installs on `current` are each offered `expected` (version,
/// rollback) by the client's policy on the published releases `rs`.
fn assert_every_install(rs: &[Release], current: &str, expected: Option<(&str, bool)>) {
    let expected = expected.map(|(v, back)| (v.parse::<AppVersion>().unwrap(), back));
    for offer in offered(rs, current, &install_ids()[..100]) {
        assert_eq!(offer, expected, "an install on {current}");
    }
}

fn takers(offers: &[Option<(AppVersion, bool)>], version: &str) -> BTreeSet<usize> {
    let v: AppVersion = version.parse().unwrap();
    offers
        .iter()
        .enumerate()
        .filter(|(_, o)| o.as_ref().is_some_and(|(t, _)| *t == v))
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn thousand_installs_follow_rollout_pause_and_pull() {
    let tmp = tempfile::tempdir().unwrap();
    let (publisher, _) =
        Publisher::init(&tmp.path().join("proj"), &InitOptions::new("demo")).unwrap();
    publisher
        .add(
            &AddRequest::new(bundle(tmp.path(), "1.0"), "1.0"),
            &mut NoProgress,
        )
        .unwrap();
    let mut req = AddRequest::new(bundle(tmp.path(), "1.1"), "1.1");
    req.rollout = Some(10);
    let (_, outcome) = publisher.add(&req, &mut NoProgress).unwrap();
    assert!(outcome.published);
    let ids = install_ids();

    // 10%: about a hundred installs take 1.1.
    let rs = published(&publisher);
    assert_eq!(
        rs[1].rollout.map(|r| (r.percent, r.state)),
        Some((10, RolloutState::Rolling))
    );
    let at10 = takers(&offered(&rs, "1.0", &ids), "1.1");
    assert!(
        (75..=125).contains(&at10.len()),
        "{} took 1.1 at 10%",
        at10.len()
    );

    // 50%: the same installs and more.
    publisher
        .set_rollout("1.1", None, RolloutChange::Percent(50))
        .unwrap();
    let rs = published(&publisher);
    let at50 = takers(&offered(&rs, "1.0", &ids), "1.1");
    assert!(
        at10.is_subset(&at50),
        "raising the percentage only adds installs"
    );
    assert!(
        (400..=600).contains(&at50.len()),
        "{} took 1.1 at 50%",
        at50.len()
    );

    // Paused: nobody new; those on 1.1 stay there.
    publisher
        .set_rollout("1.1", None, RolloutChange::Pause)
        .unwrap();
    let rs = published(&publisher);
    assert_eq!(
        rs[1].rollout.map(|r| (r.percent, r.state)),
        Some((50, RolloutState::Paused))
    );
    assert!(takers(&offered(&rs, "1.0", &ids), "1.1").is_empty());
    assert!(offered(&rs, "1.1", &ids).iter().all(Option::is_none));

    // Pulled: every install on 1.1 is sent back to 1.0 (a rollback), and
    // every install on 1.0 stays.
    let (changed, _) = publisher
        .set_rollout("1.1", None, RolloutChange::Pull)
        .unwrap();
    assert_eq!(changed[0].rollback_to, Some("1.0".parse().unwrap()));
    let rs = published(&publisher);
    assert_eq!(rs[1].rollback_to, Some("1.0".parse().unwrap()));
    let on_pulled = offered(&rs, "1.1", &ids);
    let back: AppVersion = "1.0".parse().unwrap();
    assert!(on_pulled.iter().all(|o| o == &Some((back.clone(), true))));
    assert!(offered(&rs, "1.0", &ids).iter().all(Option::is_none));

    // 100% again (a pull undone): every install, and no rollout fields
    // left in the signed metadata.
    publisher
        .set_rollout("1.1", None, RolloutChange::Percent(100))
        .unwrap();
    let rs = published(&publisher);
    assert!(rs[1].rollout.is_none() && rs[1].rollback_to.is_none());
    assert_eq!(takers(&offered(&rs, "1.0", &ids), "1.1").len(), 1000);
}

#[test]
fn a_required_release_in_rollout_is_never_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let (publisher, _) =
        Publisher::init(&tmp.path().join("proj"), &InitOptions::new("demo")).unwrap();
    publisher
        .add(
            &AddRequest::new(bundle(tmp.path(), "1.0"), "1.0"),
            &mut NoProgress,
        )
        .unwrap();
    let mut req = AddRequest::new(bundle(tmp.path(), "1.1"), "1.1");
    req.required = true;
    req.rollout = Some(10);
    publisher.add(&req, &mut NoProgress).unwrap();
    publisher
        .add(
            &AddRequest::new(bundle(tmp.path(), "1.2"), "1.2"),
            &mut NoProgress,
        )
        .unwrap();
    let rs = published(&publisher);
    let ids = install_ids();
    let offers = offered(&rs, "1.0", &ids);
    // In the 10%: the required 1.1 first; the others wait before it, never
    // jumping to 1.2 past it.
    let at11 = takers(&offers, "1.1");
    assert!((75..=125).contains(&at11.len()), "{}", at11.len());
    assert!(takers(&offers, "1.2").is_empty());
    assert_eq!(
        offers.iter().filter(|o| o.is_none()).count(),
        1000 - at11.len()
    );
}

#[test]
fn rollout_settings_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let (publisher, _) =
        Publisher::init(&tmp.path().join("proj"), &InitOptions::new("demo")).unwrap();
    publisher
        .add(
            &AddRequest::new(bundle(tmp.path(), "1.0"), "1.0"),
            &mut NoProgress,
        )
        .unwrap();
    let err = publisher
        .set_rollout("2.0", None, RolloutChange::Pause)
        .unwrap_err();
    assert!(
        matches!(err, tufa::Error::InvalidSetting { ref field, .. } if field == "version"),
        "{err}"
    );
    let mut req = AddRequest::new(bundle(tmp.path(), "1.1"), "1.1");
    req.rollout = Some(101);
    let err = publisher.add(&req, &mut NoProgress).unwrap_err();
    assert!(
        matches!(err, tufa::Error::InvalidSetting { ref field, .. } if field == "rollout"),
        "{err}"
    );
    assert_eq!(
        "25%".parse::<RolloutChange>().unwrap(),
        RolloutChange::Percent(25)
    );
    assert_eq!(
        "pause".parse::<RolloutChange>().unwrap(),
        RolloutChange::Pause
    );
    assert!("150".parse::<RolloutChange>().is_err());
}

/// The app's rollout buttons sit on one stream's row: pausing the
/// platform-less 1.0 must leave linux-x86_64's 1.0 rolling (a first-time
/// user's walk paused every platform's 1.0 from one row).
#[test]
fn a_change_to_one_stream_leaves_the_others_alone() {
    use tufa::publisher::rollout::Streams;
    let tmp = tempfile::tempdir().unwrap();
    let (publisher, _) =
        Publisher::init(&tmp.path().join("proj"), &InitOptions::new("demo")).unwrap();
    for platform in [None, Some("linux-x86_64")] {
        let dir = tmp.path().join(platform.unwrap_or("none"));
        let mut req = AddRequest::new(bundle(&dir, "1.0"), "1.0");
        req.platform = platform.map(String::from);
        req.rollout = Some(40);
        publisher.add(&req, &mut NoProgress).unwrap();
    }
    let linux_dir = tmp.path().join("linux-x86_64");
    let mut req = AddRequest::new(bundle(&linux_dir, "1.1"), "1.1");
    req.platform = Some("linux-x86_64".into());
    publisher.add(&req, &mut NoProgress).unwrap();

    let (changed, _) = publisher
        .set_rollout_in("1.0", Streams::Only(None), RolloutChange::Pause)
        .unwrap();
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0].platform, None);
    let read = |app: &str| {
        let bytes = std::fs::read(publisher.repo().join("metadata/targets.json")).unwrap();
        let signed: tough::schema::Signed<tough::schema::Targets> =
            serde_json::from_slice(&bytes).unwrap();
        releases(&signed.signed, app).unwrap()
    };
    let state = |rs: &[Release], v: &str| {
        rs.iter()
            .find(|r| r.version.to_string() == v)
            .and_then(|r| r.rollout)
            .map(|o| (o.state, o.percent))
    };
    assert_eq!(
        state(&read("demo"), "1.0"),
        Some((RolloutState::Paused, 40))
    );
    assert_eq!(
        state(&read("demo-linux-x86_64"), "1.0"),
        Some((RolloutState::Rolling, 40))
    );

    // One platform's pull preview speaks of that platform only.
    let previews = publisher
        .preview_pull_in("1.1", Streams::Only(Some("linux-x86_64")))
        .unwrap();
    assert_eq!(previews.len(), 1);
    // The platform-less stream has no 1.1: said so, nothing changes.
    let err = publisher
        .set_rollout_in("1.1", Streams::Only(None), RolloutChange::Pull)
        .unwrap_err();
    assert!(
        matches!(err, tufa::Error::InvalidSetting { ref reason, .. } if reason.contains("no release 1.1 without a platform")),
        "{err}"
    );
    // Without a choice (the command line without --platform): every
    // stream that has the version.
    let (changed, _) = publisher
        .set_rollout("1.0", None, RolloutChange::Percent(100))
        .unwrap();
    assert_eq!(changed.len(), 2);
}

/// Clients on a pulled release are sent back to its rollback target; a
/// prune that removed that target would leave them on the withdrawn
/// release. The prune keeps it (and what follows), the previews say what
/// they would otherwise hide.
#[test]
fn prune_keeps_the_release_a_pull_sends_clients_back_to() {
    let tmp = tempfile::tempdir().unwrap();
    let publisher = with_releases(tmp.path(), &["1.0", "1.1", "1.2"]);
    let (changed, _) = publisher
        .set_rollout("1.2", None, RolloutChange::Pull)
        .unwrap();
    assert_eq!(
        changed[0].rollback_to.as_ref().map(ToString::to_string),
        Some("1.1".into())
    );

    // Keep 1 would remove 1.0 and 1.1; 1.1 is where 1.2's clients go.
    let preview = publisher.preview_prune(1).unwrap();
    assert_eq!(preview.removed, vec!["1.0".to_string()]);
    // Clients on 1.0 are offered 1.1, never the pulled 1.2.
    assert_eq!(preview.stranded.len(), 1);
    assert_eq!(preview.stranded[0].to_version.as_deref(), Some("1.1"));
    let (removed, _) = publisher.prune(1).unwrap();
    assert_eq!(removed, vec!["1.0".parse::<AppVersion>().unwrap()]);
    let left = published_versions(&publisher);
    assert_eq!(left, vec!["1.1", "1.2"]);
    let err = publisher.prune(1).unwrap_err();
    assert!(
        matches!(err, tufa::Error::InvalidSetting { ref field, ref reason } if field == "keep" && reason.contains("pulled")),
        "{err}"
    );

    // Removing the pulled release itself cancels the way back: the
    // preview names what its clients lose.
    let preview = publisher.preview_remove_latest().unwrap();
    assert_eq!(preview.rollback_lost.as_deref(), Some("1.1"));
}

/// A chain of pulls: 1.2 sends its clients to 1.1, then 1.1 is found bad
/// too and sends its clients to 1.0. A prune keeping 1 must keep 1.0, or
/// clients on 1.1 would stay on a withdrawn release (an outside review
/// found the first version of the rule checked only one link).
#[test]
fn prune_follows_a_chain_of_pulls() {
    let tmp = tempfile::tempdir().unwrap();
    let publisher = with_releases(tmp.path(), &["0.9", "1.0", "1.1", "1.2"]);
    publisher
        .set_rollout("1.2", None, RolloutChange::Pull)
        .unwrap();
    let (changed, _) = publisher
        .set_rollout("1.1", None, RolloutChange::Pull)
        .unwrap();
    assert_eq!(
        changed[0].rollback_to.as_ref().map(ToString::to_string),
        Some("1.0".into())
    );
    assert_eq!(
        publisher.preview_prune(1).unwrap().removed,
        vec!["0.9".to_string()]
    );
    publisher.prune(1).unwrap();
    let left = published_versions(&publisher);
    assert_eq!(left, vec!["1.0", "1.1", "1.2"]);
    // Pulling 1.1 re-pointed 1.2's way back past it: a client refuses a
    // pulled rollback target and would have stayed on 1.2.
    let back_of = |v: &str| {
        published(&publisher)
            .iter()
            .find(|r| r.version.to_string() == v)
            .and_then(|r| r.rollback_to.as_ref().map(ToString::to_string))
    };
    assert_eq!(back_of("1.2").as_deref(), Some("1.0"));
    assert_eq!(back_of("1.1").as_deref(), Some("1.0"));
    let rs = published(&publisher);
    let ids = install_ids();
    for (current, clients) in [("1.2", &ids[..100]), ("1.1", &ids[100..200])] {
        for offer in offered(&rs, current, clients) {
            assert_eq!(
                offer,
                Some(("1.0".parse().unwrap(), true)),
                "a client on {current}"
            );
        }
    }
    let preview = publisher.preview_remove_latest().unwrap();
    assert_eq!(preview.rollback_lost.as_deref(), Some("1.0"));
}

/// A removal's preview says what the clients will really do: a prune's
/// stranded installs split by the newest release's rollout exactly as
/// 1,000 simulated clients split after the prune, never go to a paused
/// release or one at 0%, and nobody is said to patch to a paused release.
#[test]
fn prune_preview_splits_stranded_installs_like_the_clients() {
    let tmp = tempfile::tempdir().unwrap();
    let publisher = with_releases(tmp.path(), &["1.0", "1.1", "1.2"]);
    let mut req = AddRequest::new(bundle(tmp.path(), "1.3"), "1.3");
    req.rollout = Some(25);
    publisher.add(&req, &mut NoProgress).unwrap();

    let preview = publisher.preview_prune(2).unwrap();
    assert_eq!(preview.removed, vec!["1.0".to_string(), "1.1".to_string()]);
    let on_1_0: Vec<(Option<&str>, u8)> = preview
        .stranded
        .iter()
        .filter(|s| s.version == "1.0")
        .map(|s| (s.to_version.as_deref(), s.share))
        .collect();
    assert_eq!(on_1_0, vec![(Some("1.3"), 25), (Some("1.2"), 75)]);

    // Paused: no stranded install goes to 1.3, and no client on a kept
    // release is said to download it.
    publisher
        .set_rollout("1.3", None, RolloutChange::Pause)
        .unwrap();
    let paused = publisher.preview_prune(2).unwrap();
    assert!(
        paused
            .stranded
            .iter()
            .all(|s| s.to_version.as_deref() == Some("1.2") && s.share == 100),
        "{:?}",
        paused.stranded
    );
    let from_1_2 = paused
        .clients_after
        .iter()
        .find(|c| c.from_version.to_string() == "1.2")
        .unwrap();
    assert_eq!(from_1_2.to_version, None, "{from_1_2:?}");

    // 0%: the same.
    publisher
        .set_rollout("1.3", None, RolloutChange::Percent(0))
        .unwrap();
    let none = publisher.preview_prune(2).unwrap();
    assert!(none
        .stranded
        .iter()
        .all(|s| s.to_version.as_deref() == Some("1.2") && s.share == 100));

    // Back to 25%, pruned: 1,000 installs left on 1.0 split as the
    // preview said, bucket for bucket.
    publisher
        .set_rollout("1.3", None, RolloutChange::Percent(25))
        .unwrap();
    publisher.prune(2).unwrap();
    let rs = published(&publisher);
    assert_eq!(published_versions(&publisher), vec!["1.2", "1.3"]);
    let ids = install_ids();
    let offers = offered(&rs, "1.0", &ids);
    let low: BTreeSet<usize> = (0..ids.len())
        .filter(|&i| install_bucket(&ids[i]) < 25)
        .collect();
    assert_eq!(takers(&offers, "1.3"), low);
    assert_eq!(takers(&offers, "1.2").len(), ids.len() - low.len());
}

/// Removing the newest release can leave a pulled release the newest: its
/// clients, who were moving forward, are then sent back to its rollback
/// target. The preview says so, and the clients do it.
#[test]
fn removing_the_latest_shows_a_pulled_release_sending_its_clients_back() {
    let tmp = tempfile::tempdir().unwrap();
    let publisher = with_releases(tmp.path(), &["1.0", "1.1", "1.2"]);
    publisher
        .set_rollout("1.1", None, RolloutChange::Pull)
        .unwrap();
    // Today clients on 1.1 move forward to 1.2.
    let before = publisher.status().unwrap().clients;
    let from_1_1 = before
        .iter()
        .find(|c| c.from_version.to_string() == "1.1")
        .unwrap();
    assert_eq!(
        from_1_1.to_version.as_ref().map(ToString::to_string),
        Some("1.2".into())
    );
    assert!(!from_1_1.rollback);

    let preview = publisher.preview_remove_latest().unwrap();
    let back = preview
        .clients_after
        .iter()
        .find(|c| c.from_version.to_string() == "1.1")
        .expect("clients on the pulled 1.1 are in the preview");
    assert!(back.rollback, "{back:?}");
    assert_eq!(
        back.to_version.as_ref().map(ToString::to_string),
        Some("1.0".into())
    );
    assert_eq!(back.files, vec!["demo-1.0.tar.gz".to_string()]);

    publisher.remove_latest().unwrap();
    let rs = published(&publisher);
    assert_every_install(&rs, "1.1", Some(("1.0", true)));
}

/// Removing a platform's only release: installs of it that do not set a
/// platform then follow the platform-less releases. The preview names the
/// release they would go to.
#[test]
fn removing_a_platforms_only_release_names_the_fallback() {
    use tufa::publisher::rollout::Streams;
    let tmp = tempfile::tempdir().unwrap();
    let publisher = with_releases(tmp.path(), &["1.0", "1.4"]);
    let dir = tmp.path().join("linux");
    let mut req = AddRequest::new(bundle(&dir, "1.0"), "1.0");
    req.platform = Some("linux-x86_64".into());
    publisher.add(&req, &mut NoProgress).unwrap();

    let fallback = |publisher: &Publisher| {
        publisher
            .preview_remove_latest_of(Some("linux-x86_64"))
            .unwrap()
            .platform_fallback
            .map(|f| {
                let shares: Vec<(Option<String>, u8)> = f
                    .shares
                    .into_iter()
                    .map(|s| (s.to_version, s.share))
                    .collect();
                (f.platform, shares)
            })
    };
    assert_eq!(
        fallback(&publisher),
        Some(("linux-x86_64".into(), vec![(Some("1.4".into()), 100)]))
    );
    // Rolling out to 30%: those installs split like every other client.
    publisher
        .set_rollout_in("1.4", Streams::Only(None), RolloutChange::Percent(30))
        .unwrap();
    assert_eq!(
        fallback(&publisher),
        Some((
            "linux-x86_64".into(),
            vec![(Some("1.4".into()), 30), (None, 70)]
        ))
    );
    // A pulled 1.4 is no update: they follow the stream, nothing yet.
    publisher
        .set_rollout_in("1.4", Streams::Only(None), RolloutChange::Pull)
        .unwrap();
    assert_eq!(
        fallback(&publisher),
        Some(("linux-x86_64".into(), vec![(None, 100)]))
    );
    // A platform with releases left, or the platform-less stream: no
    // fallback to speak of.
    assert!(publisher
        .preview_remove_latest()
        .unwrap()
        .platform_fallback
        .is_none());
    let mut req = AddRequest::new(bundle(&dir, "1.1"), "1.1");
    req.platform = Some("linux-x86_64".into());
    publisher.add(&req, &mut NoProgress).unwrap();
    assert_eq!(fallback(&publisher), None);
}

/// A pull's preview says where the installs on the release really go: a
/// newer release their rollout offers takes them forward, the rest go
/// back; 1,000 clients after the pull do exactly that, bucket for bucket.
#[test]
fn pull_preview_splits_forward_and_back_like_the_clients() {
    let tmp = tempfile::tempdir().unwrap();
    let publisher = with_releases(tmp.path(), &["1.0", "1.1"]);
    let mut req = AddRequest::new(bundle(tmp.path(), "1.2"), "1.2");
    req.rollout = Some(25);
    publisher.add(&req, &mut NoProgress).unwrap();

    let preview = publisher.preview_pull("1.1", None).unwrap();
    assert_eq!(preview.len(), 1);
    let p = &preview[0];
    assert_eq!(p.buckets, 100);
    assert_eq!(
        p.rollback_to.as_ref().map(ToString::to_string),
        Some("1.0".into())
    );
    let outcomes: Vec<(Option<String>, bool, u8)> = p
        .outcomes
        .iter()
        .map(|o| {
            (
                o.to_version.as_ref().map(ToString::to_string),
                o.rollback,
                o.buckets,
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        vec![
            (Some("1.2".into()), false, 25),
            (Some("1.0".into()), true, 75)
        ]
    );

    publisher
        .set_rollout("1.1", None, RolloutChange::Pull)
        .unwrap();
    let rs = published(&publisher);
    let ids = install_ids();
    let offers = offered(&rs, "1.1", &ids);
    let low: BTreeSet<usize> = (0..ids.len())
        .filter(|&i| install_bucket(&ids[i]) < 25)
        .collect();
    assert_eq!(takers(&offers, "1.2"), low);
    assert!(offers
        .iter()
        .enumerate()
        .filter(|(i, _)| !low.contains(i))
        .all(|(_, o)| o == &Some(("1.0".parse().unwrap(), true))));
}

/// A release that was out to every install and then set to 25% may be on
/// every install: the pull counts 100 buckets, not 25.
#[test]
fn a_narrowed_rollout_still_counts_every_install_that_took_it() {
    let tmp = tempfile::tempdir().unwrap();
    let publisher = with_releases(tmp.path(), &["1.0", "1.1"]);
    publisher
        .set_rollout("1.1", None, RolloutChange::Percent(25))
        .unwrap();
    let r = published(&publisher)[1].rollout.unwrap();
    assert_eq!((r.percent, r.reached), (25, Some(100)));
    publisher
        .set_rollout("1.1", None, RolloutChange::Pause)
        .unwrap();
    assert_eq!(publisher.preview_pull("1.1", None).unwrap()[0].buckets, 100);
    // Widening again keeps the record; 100% clears it with the rollout.
    publisher
        .set_rollout("1.1", None, RolloutChange::Percent(100))
        .unwrap();
    assert_eq!(published(&publisher)[1].rollout, None);
    // Added at 10%, widened to 40%, narrowed to 20%: 40 buckets may have it.
    let mut req = AddRequest::new(bundle(tmp.path(), "1.2"), "1.2");
    req.rollout = Some(10);
    publisher.add(&req, &mut NoProgress).unwrap();
    assert_eq!(publisher.preview_pull("1.2", None).unwrap()[0].buckets, 10);
    for p in [40, 20] {
        publisher
            .set_rollout("1.2", None, RolloutChange::Percent(p))
            .unwrap();
    }
    let p = &publisher.preview_pull("1.2", None).unwrap()[0];
    assert_eq!(p.buckets, 40);
    let total: u32 = p.outcomes.iter().map(|o| u32::from(o.buckets)).sum();
    assert_eq!(total, 40);
}

/// Pulling the release earlier pulls send their clients to re-points them;
/// the preview names each, and says when they are left with no way back.
#[test]
fn a_pull_preview_names_the_earlier_pulls_it_re_points() {
    let tmp = tempfile::tempdir().unwrap();
    let publisher = with_releases(tmp.path(), &["1.0", "1.1", "1.2"]);
    publisher
        .set_rollout("1.2", None, RolloutChange::Pull)
        .unwrap();
    let p = &publisher.preview_pull("1.1", None).unwrap()[0];
    let re = repointed(&p.repointed);
    assert_eq!(re, vec![("1.2".into(), Some("1.0".into()))]);
    publisher
        .set_rollout("1.1", None, RolloutChange::Pull)
        .unwrap();
    // Pulling 1.0 too: nothing is left to go back to.
    let p = &publisher.preview_pull("1.0", None).unwrap()[0];
    assert_eq!(p.rollback_to, None);
    let re = repointed(&p.repointed);
    assert_eq!(re, vec![("1.1".into(), None), ("1.2".into(), None)]);
    assert!(p.outcomes.iter().all(|o| o.to_version.is_none()));
}

/// The way back is a release out to every install: never a paused one,
/// nor one still rolling out to 10% (it would be pushed to all of the
/// pulled release's installs).
#[test]
fn the_way_back_is_only_a_release_out_to_every_install() {
    for held in [RolloutChange::Pause, RolloutChange::Percent(10)] {
        let tmp = tempfile::tempdir().unwrap();
        let publisher = with_releases(tmp.path(), &["1.0", "1.1", "1.2"]);
        publisher.set_rollout("1.1", None, held).unwrap();
        let (changed, _) = publisher
            .set_rollout("1.2", None, RolloutChange::Pull)
            .unwrap();
        assert_eq!(
            changed[0].rollback_to.as_ref().map(ToString::to_string),
            Some("1.0".into()),
            "{held:?}"
        );
        assert_every_install(&published(&publisher), "1.2", Some(("1.0", true)));
    }
}

/// Pausing the release a pull sends its clients back to moves the way back
/// (and says so); releasing it to everyone again moves it back.
#[test]
fn pausing_a_way_back_target_moves_the_way_back() {
    let tmp = tempfile::tempdir().unwrap();
    let publisher = with_releases(tmp.path(), &["1.0", "1.1", "1.2"]);
    publisher
        .set_rollout("1.2", None, RolloutChange::Pull)
        .unwrap();
    let (changed, _) = publisher
        .set_rollout("1.1", None, RolloutChange::Pause)
        .unwrap();
    let re = repointed(&changed[0].repointed);
    assert_eq!(re, vec![("1.2".into(), Some("1.0".into()))]);
    let rs = published(&publisher);
    assert_every_install(&rs, "1.2", Some(("1.0", true)));
    // Narrowing it does the same; out to everyone again, it is the way back.
    publisher
        .set_rollout("1.1", None, RolloutChange::Percent(30))
        .unwrap();
    let back = |p: &Publisher| {
        published(p)[2]
            .rollback_to
            .as_ref()
            .map(ToString::to_string)
    };
    assert_eq!(back(&publisher).as_deref(), Some("1.0"));
    publisher
        .set_rollout("1.1", None, RolloutChange::Percent(100))
        .unwrap();
    assert_eq!(back(&publisher).as_deref(), Some("1.1"));
}

/// Pausing a required release holds back every install before it, even
/// from later releases out to everyone: the change says so. Pulling it
/// lets them skip it: the pull's preview says so.
#[test]
fn a_required_release_paused_or_pulled_says_what_installs_before_it_do() {
    let tmp = tempfile::tempdir().unwrap();
    let publisher = with_releases(tmp.path(), &["1.0"]);
    let mut req = AddRequest::new(bundle(tmp.path(), "1.1"), "1.1");
    req.required = true;
    publisher.add(&req, &mut NoProgress).unwrap();
    publisher
        .add(
            &AddRequest::new(bundle(tmp.path(), "1.2"), "1.2"),
            &mut NoProgress,
        )
        .unwrap();

    let (changed, _) = publisher
        .set_rollout("1.1", None, RolloutChange::Pause)
        .unwrap();
    let stalled = shift_rows(&changed[0].stalled);
    assert_eq!(stalled, vec![("1.0".into(), 100, Some("1.1".into()), None)]);
    let rs = published(&publisher);
    assert!(offered(&rs, "1.0", &install_ids()[..100])
        .iter()
        .all(Option::is_none));

    publisher
        .set_rollout("1.1", None, RolloutChange::Percent(100))
        .unwrap();
    let p = &publisher.preview_pull("1.1", None).unwrap()[0];
    let others = shift_rows(&p.others);
    assert_eq!(
        others,
        vec![("1.0".into(), 100, Some("1.1".into()), Some("1.2".into()))]
    );
    publisher
        .set_rollout("1.1", None, RolloutChange::Pull)
        .unwrap();
    let rs = published(&publisher);
    assert_every_install(&rs, "1.0", Some(("1.2", false)));
}

/// A pulled release stays pulled: pausing it or setting a percentage
/// would cancel its installs' way back and offer the withdrawn release
/// again, so both are refused, saying why.
#[test]
fn a_pulled_release_cannot_be_paused_or_re_offered() {
    let tmp = tempfile::tempdir().unwrap();
    let publisher = with_releases(tmp.path(), &["1.0", "1.1"]);
    publisher
        .set_rollout("1.1", None, RolloutChange::Pull)
        .unwrap();
    for change in [RolloutChange::Pause, RolloutChange::Percent(50)] {
        let err = publisher.set_rollout("1.1", None, change).unwrap_err();
        assert!(
            matches!(err, tufa::Error::InvalidSetting { ref field, ref reason }
                if field == "rollout" && reason.contains("1.1 is pulled: its installs are sent back to 1.0")),
            "{change:?}: {err}"
        );
    }
    assert_every_install(&published(&publisher), "1.1", Some(("1.0", true)));
}

/// Removing a platform's only release when the platform-less release of
/// the same version is pulled: its installs fall back into that pull and
/// are sent back. The preview says it is a downgrade.
#[test]
fn a_platform_fallback_into_a_pull_is_shown_as_a_downgrade() {
    use tufa::publisher::rollout::Streams;
    let tmp = tempfile::tempdir().unwrap();
    let publisher = with_releases(tmp.path(), &["1.0", "1.1"]);
    let dir = tmp.path().join("linux");
    let mut req = AddRequest::new(bundle(&dir, "1.1"), "1.1");
    req.platform = Some("linux-x86_64".into());
    publisher.add(&req, &mut NoProgress).unwrap();
    publisher
        .set_rollout_in("1.1", Streams::Only(None), RolloutChange::Pull)
        .unwrap();
    let preview = publisher
        .preview_remove_latest_of(Some("linux-x86_64"))
        .unwrap();
    let shares: Vec<(Option<String>, bool, u8)> = preview
        .platform_fallback
        .expect("linux loses its only release")
        .shares
        .into_iter()
        .map(|s| (s.to_version, s.rollback, s.share))
        .collect();
    assert_eq!(shares, vec![(Some("1.0".into()), true, 100)]);
}
