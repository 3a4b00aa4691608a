#!/usr/bin/env bash
# Builds and starts the Tufa desktop app on the demo repository (created
# on first start: releases 1.0 and 1.1 of an app called "demo", and a
# bundle for 1.2 ready to add). Start the app without --demo to get the
# start screen (open, create, adopt).
#   bash scripts/run.sh            # the app
#   bash scripts/run.sh --cli-demo # the CLI demo instead (a repository served on 127.0.0.1:8765)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--cli-demo" ]; then
  exec bash scripts/cli-demo.sh
fi

npm --prefix ui run build
cargo build -j2 -p tufa-app
app="$PWD/target/debug/tufa-app"
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  exec "$app" --demo
fi
echo "No display: starting the app inside Xvfb (DISPLAY :99). Screenshot with: DISPLAY=:99 import -window root shot.png"
Xvfb :99 -screen 0 1280x800x24 >/dev/null 2>&1 &
export DISPLAY=:99
exec dbus-run-session -- "$app" --demo
