#!/usr/bin/env bash
# Runs every check and test of the workspace (after scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
# A one-off build gains nothing from incremental state, which costs time
# and disk to write (a developer's own shell keeps the default).
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

# Each step's duration, to see where the CI's time goes.
step() {
  local started=$SECONDS
  "$@"
  echo "[test.sh] $((SECONDS - started)) s: $*"
}

# The front end: type check, unit tests (Vitest), and the build the app
# embeds (it must exist before the app crate compiles).
step npm --prefix ui run build
step npm --prefix ui test
# The Tauri plugin's TypeScript API (tauri-plugin-tufa/guest-js), type
# checked with the front end's TypeScript and @tauri-apps/api.
step ui/node_modules/.bin/tsc -p tauri-plugin-tufa

step cargo fmt --all -- --check
step cargo clippy --workspace --all-targets -- -D warnings
# The client library alone (what applications embed) must build without
# the publisher feature.
step cargo clippy -p tufa --lib -- -D warnings
# The end-to-end tests drive the real binaries and the demo app.
step cargo build --workspace --bins --examples
# The TUF conformance suite (theupdateframework/tuf-conformance, in
# ../shared) against the client's refresh workflow, through the debug
# tufa-conformance built above. The score may not drop below the one
# recorded in docs/design.md ("TUF conformance"); no expected failures.
conformance_min=113
suite=../shared/tuf-conformance
runner=../shared/tools/tuf-conformance.sh
if [ -d "$suite" ] && [ -f "$runner" ]; then
  # Wherever cargo puts its builds (CARGO_TARGET_DIR may point elsewhere).
  client="${CARGO_TARGET_DIR:-target}/debug/tufa-conformance"
  if [ -e "$client.xfails" ]; then
    echo "$client.xfails exists: expected failures are not allowed" >&2
    exit 1
  fi
  conformance_started=$SECONDS
  conformance_out=$(bash "$runner" "$client" 2>&1) || true
  echo "[test.sh] $((SECONDS - conformance_started)) s: TUF conformance"
  conformance_summary=$(printf '%s\n' "$conformance_out" | tail -1)
  echo "TUF conformance: $conformance_summary"
  conformance_passed=$(printf '%s\n' "$conformance_summary" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' || true)
  if [ "${conformance_passed:-0}" -lt "$conformance_min" ]; then
    printf '%s\n' "$conformance_out" | tail -60
    echo "TUF conformance: ${conformance_passed:-0} passed, below the recorded $conformance_min" >&2
    exit 1
  fi
else
  echo "conformance suite not found at $(realpath -m "$suite"): skipped"
fi
# Inside a private D-Bus session with an unlocked GNOME Keyring: the key
# tests use the real OS keyring.
step bash scripts/with-keyring.sh cargo test --workspace
# The desktop app in a real window under Xvfb, driven through
# tauri-driver/WebKitWebDriver; screenshots land in docs/screenshots/.
step xvfb-run -a -s "-screen 0 1280x800x24" bash scripts/with-keyring.sh npm --prefix ui run e2e
# The Debian package: `tauri build --debug --bundles deb` (the debug
# profile reuses the dependencies compiled above), installed with dpkg;
# the installed app is started under Xvfb and must show its window and
# create its demo repository on first start (scripts/deb-test.sh).
step bash scripts/deb-test.sh
