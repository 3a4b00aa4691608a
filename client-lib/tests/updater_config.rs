//! `Updater::builder` refuses an incomplete or malformed set-up with
//! `UpdateError::Config` before anything touches the disk or the network
//! (client-only build: no publisher needed).

use tufa::client::{UpdateError, Updater};

fn complete(dir: &std::path::Path) -> tufa::client::UpdaterBuilder {
    Updater::builder("demo", "1.0")
        .install_dir(dir.join("install"))
        .metadata_dir(dir.join("meta"))
        .cache_dir(dir.join("cache"))
        .metadata_url("http://127.0.0.1:9/metadata")
        .targets_url("http://127.0.0.1:9/targets")
}

#[test]
fn a_complete_set_up_builds() {
    let tmp = tempfile::tempdir().unwrap();
    let u = complete(tmp.path()).build().unwrap();
    assert_eq!(u.current_version().to_string(), "1.0");
    assert!(!tmp.path().join("cache").exists(), "nothing created yet");
}

#[test]
fn a_missing_folder_is_a_config_error() {
    let tmp = tempfile::tempdir().unwrap();
    let err = Updater::builder("demo", "1.0")
        .install_dir(tmp.path().join("install"))
        .metadata_dir(tmp.path().join("meta"))
        .metadata_url("http://127.0.0.1:9/metadata")
        .targets_url("http://127.0.0.1:9/targets")
        .build()
        .unwrap_err();
    assert!(
        matches!(&err, UpdateError::Config(m) if m.contains("cache dir")),
        "{err:?}"
    );
    assert_eq!(err.code(), "config");
}

#[test]
fn a_malformed_url_is_a_config_error_without_its_password() {
    let tmp = tempfile::tempdir().unwrap();
    let err = complete(tmp.path())
        .metadata_url("http://user:s3cret@exa mple.com/metadata")
        .build()
        .unwrap_err();
    let UpdateError::Config(message) = &err else {
        panic!("expected Config, got {err:?}")
    };
    assert!(!message.contains("s3cret"), "{message}");
}

#[test]
fn a_version_that_is_not_pep_440_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let err = Updater::builder("demo", "not a version")
        .install_dir(tmp.path().join("install"))
        .build()
        .unwrap_err();
    assert!(matches!(err, UpdateError::Engine(_)), "{err:?}");
}
