#!/usr/bin/env bash
# Runs every check and test of the workspace (after scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
# The client library alone (what applications embed) must build without
# the publisher feature.
cargo check -p tufa --lib
# The end-to-end tests drive the real binaries and the demo app.
cargo build --workspace --bins --examples
# Inside a private D-Bus session with an unlocked GNOME Keyring: the key
# tests use the real OS keyring.
bash scripts/with-keyring.sh cargo test --workspace
