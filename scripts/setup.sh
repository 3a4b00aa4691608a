#!/usr/bin/env bash
# Installs what building and testing Tufa needs on a fresh Debian 12 machine
# (run as root): system packages, and a Python venv with the real tufup
# 0.10.0 client from PyPI for the compatibility tests. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v pkg-config >/dev/null || need_apt+=(pkg-config)
command -v cc >/dev/null || need_apt+=(build-essential)
command -v mkfifo >/dev/null || need_apt+=(coreutils)
# The client's clock-policy tests run it under a shifted clock.
command -v faketime >/dev/null || need_apt+=(faketime)
# The OS keyring: the Secret Service (GNOME Keyring) in a private D-Bus
# session for the tests, libdbus to build the keyring client.
command -v gnome-keyring-daemon >/dev/null || need_apt+=(gnome-keyring)
command -v dbus-run-session >/dev/null || need_apt+=(dbus)
command -v secret-tool >/dev/null || need_apt+=(libsecret-tools)
pkg-config --exists dbus-1 2>/dev/null || need_apt+=(libdbus-1-dev)
command -v python3 >/dev/null || need_apt+=(python3 python3-venv)
# The desktop app (Tauri 2 on WebKitGTK) and its tests in a real window.
pkg-config --exists webkit2gtk-4.1 2>/dev/null || need_apt+=(libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev librsvg2-dev libxdo-dev libssl-dev file)
command -v Xvfb >/dev/null || need_apt+=(xvfb xauth)
# The app tests close native dialogs from the keyboard.
command -v xdotool >/dev/null || need_apt+=(xdotool)
command -v WebKitWebDriver >/dev/null || need_apt+=(webkit2gtk-driver)
# The Debian package's test (scripts/deb-test.sh): the installed app's
# window class, and its desktop entry checked against the specification.
command -v xprop >/dev/null || need_apt+=(x11-utils)
command -v desktop-file-validate >/dev/null || need_apt+=(desktop-file-utils)
command -v npm >/dev/null || need_apt+=(nodejs npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${need_apt[@]}"
fi

command -v cargo >/dev/null || { echo "setup: cargo is missing: install Rust (rustup) first" >&2; exit 1; }

# The Python side (downloads, mostly) runs while the Rust and npm steps
# below build.
python_env() {
  if ! .venv/bin/python -c 'import tufup, bsdiff4, moto, boto3' 2>/dev/null; then
    python3 -m venv .venv || {
      apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-venv
      python3 -m venv .venv
    }
    # tufup: the Python client for compatibility tests; moto: a real
    # S3-compatible server on 127.0.0.1 for the object storage tests.
    .venv/bin/pip install --quiet --disable-pip-version-check 'tufup==0.10.0' 'moto[server]'
  fi
}
python_env > /tmp/tufa-setup-python.log 2>&1 &
python_pid=$!

# WebDriver bridge for the app's end-to-end tests (~40 s to build).
command -v tauri-driver >/dev/null || cargo install tauri-driver --version "^2" --locked
# The front end's packages, exactly as locked.
npm --prefix ui ci --no-audit --no-fund

wait "$python_pid" || { cat /tmp/tufa-setup-python.log >&2; echo "setup: the Python environment failed" >&2; exit 1; }
.venv/bin/python -c 'import tufup; print("setup: tufup", tufup.__version__, "ready in .venv")'
