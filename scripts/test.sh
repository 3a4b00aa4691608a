#!/usr/bin/env bash
# Runs every check and test of the workspace (after scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"

# The front end: type check, unit tests (Vitest), and the build the app
# embeds (it must exist before the app crate compiles).
npm --prefix ui run build
npm --prefix ui test

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
# The client library alone (what applications embed) must build without
# the publisher feature.
cargo clippy -p tufa --lib -- -D warnings
# The end-to-end tests drive the real binaries and the demo app.
cargo build --workspace --bins --examples
# Inside a private D-Bus session with an unlocked GNOME Keyring: the key
# tests use the real OS keyring.
bash scripts/with-keyring.sh cargo test --workspace
# The desktop app in a real window under Xvfb, driven through
# tauri-driver/WebKitWebDriver; screenshots land in docs/screenshots/.
xvfb-run -a -s "-screen 0 1280x800x24" bash scripts/with-keyring.sh npm --prefix ui run e2e
