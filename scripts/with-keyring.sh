#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked GNOME
# Keyring (Secret Service): the real OS keyring, for the tests, without
# touching the user's own session.
#   bash scripts/with-keyring.sh COMMAND [ARGS...]
set -euo pipefail
XDG_DATA_HOME=$(mktemp -d)
XDG_RUNTIME_DIR=$(mktemp -d)
chmod 700 "$XDG_RUNTIME_DIR"
export XDG_DATA_HOME XDG_RUNTIME_DIR
trap 'rm -rf "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"' EXIT
dbus-run-session -- bash -c '
  printf %s tufa-ci-keyring | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  exec "$@"' bash "$@"
