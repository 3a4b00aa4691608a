//! The client's log trail, in a test binary of its own: it captures
//! events with a subscriber set for its thread only, and another test
//! running the same install code on another thread at the same time
//! could race tracing's per-callsite interest cache and lose an event
//! (seen once in CI: "installed" missing).

mod common;

use common::{publish_two, Client, Server};
use tufa::client::{BlockingUpdater, InstallOptions};

/// Collects what the engine logs, for one thread.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn an_update_leaves_a_log_trail_without_credentials() {
    let tmp = tempfile::tempdir().unwrap();
    let (publisher, _) = publish_two(tmp.path());
    let server = Server::start(&publisher.repo());
    let client = Client::install(&tmp.path().join("c"), &publisher.repo(), "1.0", true);
    // Credentials in the URL (the test server ignores them): they must
    // not reach the log.
    let base = server.url.replace("http://", "http://user:s3cret@");
    let u = tufa::client::Updater::builder("demo", "1.0")
        .install_dir(&client.install)
        .metadata_dir(&client.meta)
        .cache_dir(&client.cache)
        .metadata_url(&format!("{base}/metadata"))
        .targets_url(&format!("{base}/targets"))
        .build()
        .unwrap();
    let u = BlockingUpdater::new(u).unwrap();
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::DEBUG)
        .finish();
    // The blocking updater runs on this thread, so a thread-local
    // subscriber sees every event.
    tracing::subscriber::with_default(subscriber, || {
        let plan = u.check().unwrap().expect("an update");
        let applied = u.apply(u.download(&plan, &mut |_| {}).unwrap()).unwrap();
        u.install(&applied, &InstallOptions::default()).unwrap();
    });
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    for expected in [
        "checking for an update",
        "timestamp trusted",
        "current_tar_cached=true",
        "update found",
        "method=Patch",
        "downloading",
        "file=demo-1.1.patch",
        "patches applied",
        "installed",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    assert!(!text.contains("s3cret"), "{text}");
}
