//! The plugin's command layer in tauri's mock runtime (no window, no
//! display) against a real repository published with `Publisher` and
//! served on 127.0.0.1: check, download with progress events, install
//! now, and a tampered target refused.

#[path = "../../client-lib/tests/common/mod.rs"]
mod common;

use common::{contents, noise, unpack_release, write_bundle, Server};
use serde_json::{json, Value};
use std::path::PathBuf;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY};
use tauri::utils::acl::ExecutionContext;
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};
use tauri_plugin_tufa::{DownloadEvent, TufaExt};
use tufa::client::UpdatePhase;
use tufa::progress::NoProgress;
use tufa::publisher::{AddRequest, InitOptions, Publisher};

/// Releases 1.0 and 1.1 of `demo` (1.1 with notes), served over HTTP, and
/// an install of 1.0 (with its tar cached when `cache_tar`: patches
/// apply to it).
struct Fixture {
    _tmp: tempfile::TempDir,
    server: Server,
    repo: PathBuf,
    install: PathBuf,
    cache: PathBuf,
    bundle_11: PathBuf,
}

fn fixture(cache_tar: bool) -> Fixture {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    let (publisher, _) =
        Publisher::init(&dir.join("proj"), &InitOptions::new("demo")).expect("init");
    let app = noise(600_000, 11);
    let b10 = dir.join("b10");
    write_bundle(&b10, &[("app.bin", &app), ("VERSION", b"1.0")]);
    let mut changed = app.clone();
    changed[500..1_500].fill(9);
    let b11 = dir.join("b11");
    write_bundle(&b11, &[("app.bin", &changed), ("VERSION", b"1.1")]);
    publisher
        .add(&AddRequest::new(&b10, "1.0"), &mut NoProgress)
        .expect("add 1.0");
    let mut add = AddRequest::new(&b11, "1.1");
    add.user = Some(json!({"notes": "Faster sync"}));
    publisher.add(&add, &mut NoProgress).expect("add 1.1");
    let repo = dir.join("proj/repository");
    let install = dir.join("install");
    let cache = dir.join("cache");
    let tar = unpack_release(&repo.join("targets/demo-1.0.tar.gz"), &install);
    if cache_tar {
        std::fs::create_dir_all(&cache).expect("mkdir cache");
        std::fs::write(cache.join("demo-1.0.tar"), tar).expect("cache tar");
    }
    Fixture {
        server: Server::start(&repo),
        repo,
        install,
        cache,
        bundle_11: b11,
        _tmp: tmp,
    }
}

/// A mock Tauri app with the plugin configured as tauri.conf.json would
/// (`plugins.tufa`), its commands allowed for the main window, and that
/// window.
fn app(f: &Fixture) -> (App<MockRuntime>, WebviewWindow<MockRuntime>) {
    let mut context = mock_context(noop_assets());
    context.config_mut().plugins.0.insert(
        "tufa".into(),
        json!({
            "metadataUrl": format!("{}/metadata", f.server.url),
            "targetsUrl": format!("{}/targets", f.server.url),
            "appName": "demo",
            "currentVersion": "1.0",
            "installDir": f.install,
            "cacheDir": f.cache,
            "purge": true,
        }),
    );
    // What the app's capability granting `tufa:default` resolves to.
    for cmd in ["check", "download", "cancel", "install", "restart"] {
        context
            .runtime_authority_mut()
            .__allow_command(format!("plugin:tufa|{cmd}"), ExecutionContext::Local);
    }
    let root = std::fs::read(f.repo.join("metadata/1.root.json")).expect("root");
    // The plugin takes the root as `include_bytes!` gives it.
    let root: &'static [u8] = Box::leak(root.into_boxed_slice());
    let app = mock_builder()
        .plugin(tauri_plugin_tufa::init(root))
        .build(context)
        .expect("mock app");
    let webview = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("mock window");
    (app, webview)
}

/// Invokes `plugin:tufa|<cmd>` through the IPC, as the TypeScript API
/// does: the command's JSON value, or its error.
fn invoke(webview: &WebviewWindow<MockRuntime>, cmd: &str, args: Value) -> Result<Value, Value> {
    tauri::test::get_ipc_response(
        webview,
        InvokeRequest {
            cmd: format!("plugin:tufa|{cmd}"),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            // The app's own origin, what the ACL calls local.
            url: if cfg!(windows) {
                "http://tauri.localhost"
            } else {
                "tauri://localhost"
            }
            .parse()
            .expect("url"),
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        },
    )
    .map(|body| body.deserialize::<Value>().expect("JSON response"))
}

#[test]
fn check_download_with_progress_and_install_now() {
    let f = fixture(true);
    let (app, webview) = app(&f);

    let info = invoke(&webview, "check", json!({})).expect("check");
    assert_eq!(info["version"], "1.1");
    assert_eq!(info["currentVersion"], "1.0");
    assert_eq!(info["notes"], "Faster sync");
    assert_eq!(info["custom"]["notes"], "Faster sync");
    assert_eq!(info["required"], false);
    assert_eq!(info["method"], "patch");
    let size = info["downloadSize"].as_u64().expect("size");
    let patch_len = std::fs::metadata(f.repo.join("targets/demo-1.1.patch"))
        .expect("patch")
        .len();
    assert_eq!(size, patch_len, "the patch is what downloads");

    // The download command relays these events to its Channel; the mock
    // runtime has no page to receive them, so collect them in Rust
    // through the same method.
    let mut events: Vec<DownloadEvent> = Vec::new();
    let downloaded = tauri::async_runtime::block_on(app.tufa().download(&mut |e| events.push(e)))
        .expect("download");
    assert_eq!(downloaded.version, "1.1");
    assert_eq!(downloaded.downloaded_bytes, patch_len);
    assert_eq!(downloaded.fell_back, None);
    let phases: Vec<String> = events
        .iter()
        .map(|e| {
            serde_json::to_value(e.phase)
                .expect("phase")
                .as_str()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert!(phases.contains(&"downloading".to_string()), "{phases:?}");
    assert!(phases.contains(&"patching".to_string()), "{phases:?}");
    let last_download = events
        .iter()
        .rfind(|e| e.phase == UpdatePhase::Downloading)
        .expect("download events");
    assert_eq!(last_download.done, patch_len);
    assert_eq!(last_download.total, patch_len);
    // The JSON the front end receives.
    let event = serde_json::to_value(&events[0]).expect("event JSON");
    for key in ["phase", "file", "done", "total", "bytesPerSec", "etaSecs"] {
        assert!(event.get(key).is_some(), "{key} missing in {event}");
    }

    let installed = invoke(&webview, "install", json!({"mode": "now"})).expect("install");
    assert_eq!(installed, json!({"version": "1.1", "mode": "now"}));
    assert_eq!(contents(&f.install), contents(&f.bundle_11));

    // Until the app restarts into 1.1, checking again says so.
    let again = invoke(&webview, "check", json!({})).expect_err("restart pending");
    assert_eq!(again["code"], "restart_pending");
}

#[test]
fn download_command_checks_first_and_install_before_download_is_refused() {
    let f = fixture(false);
    let (_app, webview) = app(&f);
    let err = invoke(&webview, "install", json!({"mode": "now"})).expect_err("nothing downloaded");
    assert_eq!(err["code"], "not_downloaded");
    assert!(
        err["message"].as_str().unwrap_or("").contains("download"),
        "{err}"
    );
    // Through the IPC, with a channel id as the TypeScript API sends it.
    let done =
        invoke(&webview, "download", json!({"onEvent": "__CHANNEL__:4242"})).expect("download");
    assert_eq!(done["version"], "1.1");
    let full = std::fs::metadata(f.repo.join("targets/demo-1.1.tar.gz"))
        .expect("archive")
        .len();
    assert_eq!(
        done["downloadedBytes"].as_u64(),
        Some(full),
        "no cached tar: full archive"
    );
}

#[test]
fn tampered_target_is_refused_and_nothing_installed() {
    let f = fixture(false);
    let archive = f.repo.join("targets/demo-1.1.tar.gz");
    let mut bytes = std::fs::read(&archive).expect("archive");
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff; // same length, other bytes
    std::fs::write(&archive, bytes).expect("tamper");
    let before = contents(&f.install);
    let (_app, webview) = app(&f);

    let info = invoke(&webview, "check", json!({})).expect("metadata is intact");
    assert_eq!(info["method"], "full");
    let err = invoke(&webview, "download", json!({"onEvent": "__CHANNEL__:7"}))
        .expect_err("tampered archive");
    assert_eq!(err["code"], "verification_failed", "{err}");
    let err = invoke(&webview, "install", json!({"mode": "now"})).expect_err("nothing to install");
    assert_eq!(err["code"], "not_downloaded");
    assert_eq!(contents(&f.install), before);
}

#[test]
fn missing_configuration_fails_at_start_with_what_to_set() {
    let result = mock_builder()
        .plugin(tauri_plugin_tufa::init(b"{}"))
        .build(mock_context(noop_assets()));
    let Err(err) = result else {
        panic!("the app started without plugins.tufa")
    };
    assert!(err.to_string().contains("metadataUrl"), "{err}");
}

#[test]
fn a_plugin_configured_at_run_time_refuses_until_configured_then_updates() {
    let f = fixture(true);
    let context = mock_context(noop_assets());
    let mut context = context;
    for cmd in ["check", "download", "install"] {
        context
            .runtime_authority_mut()
            .__allow_command(format!("plugin:tufa|{cmd}"), ExecutionContext::Local);
    }
    let app = mock_builder()
        .plugin(tauri_plugin_tufa::Builder::configure_later().build())
        .build(context)
        .expect("mock app");
    let webview = WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .expect("mock window");
    assert!(!app.tufa().is_configured());
    let err = invoke(&webview, "check", json!({})).expect_err("not configured");
    assert_eq!(err["code"], "not_configured");

    let root = std::fs::read(f.repo.join("metadata/1.root.json")).expect("root");
    let config = |url: &str| tauri_plugin_tufa::Config {
        metadata_url: format!("{url}/metadata/"),
        targets_url: format!("{url}/targets/"),
        app_name: Some("demo".into()),
        current_version: Some("1.0".into()),
        install_dir: Some(f.install.clone()),
        cache_dir: Some(f.cache.clone()),
        ..Default::default()
    };
    // A bad setting is refused and changes nothing.
    let bad = app
        .tufa()
        .configure(b"{}", config(&f.server.url))
        .expect_err("not a root");
    assert_eq!(bad.code(), "config", "{bad}");
    assert!(!app.tufa().is_configured());

    app.tufa()
        .configure(&root, config(&f.server.url))
        .expect("configure");
    let info = invoke(&webview, "check", json!({})).expect("check");
    assert_eq!(info["version"], "1.1");
    assert_eq!(info["method"], "patch");
    // Another repository (the user changed the URL): the update found at
    // the first one is forgotten, nothing is downloaded from it.
    app.tufa()
        .configure(&root, config("http://127.0.0.1:9"))
        .expect("reconfigure");
    let err = invoke(&webview, "install", json!({"mode": "now"})).expect_err("nothing downloaded");
    assert_eq!(err["code"], "not_downloaded");
    let offline = invoke(&webview, "check", json!({})).expect_err("nobody listens on port 9");
    assert_eq!(offline["code"], "offline", "{offline}");
}
