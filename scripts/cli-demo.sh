#!/usr/bin/env bash
# The CLI demo: builds Tufa and runs it on a demo project: on first start it creates
# demo/ with three sample releases of an app "hello" (1.0, 1.1, 2.0),
# shows the repository's status, and serves it on http://127.0.0.1:8765/
# (metadata/ and targets/) until Ctrl-C. The desktop app replaces this
# once it lands; the CLI demo stays useful for scripts.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-8765}"
cargo build -j2 -p tufa-cli
tufa="$PWD/target/debug/tufa"

make_bundle() { # VERSION DIR
  local v=$1 d=$2
  mkdir -p "$d/lib" "$d/assets"
  printf '#!/bin/sh\necho "hello %s"\n' "$v" > "$d/hello"
  chmod +x "$d/hello"
  echo "$v" > "$d/VERSION"
  seq 1 40000 | sed "s/^/line for $v: /" > "$d/lib/core.txt"
  seq 1 20000 > "$d/assets/table.csv"
  if [ "$v" != "1.0" ]; then echo "feature added in $v" > "$d/lib/feature-$v.txt"; fi
}

if [ ! -f demo/tufa.toml ]; then
  echo "Creating demo project in demo/ ..."
  rm -rf demo && mkdir -p demo/bundles
  for v in 1.0 1.1 2.0; do make_bundle "$v" "demo/bundles/$v"; done
  "$tufa" --project demo init --app hello
  "$tufa" --project demo add demo/bundles/1.0 --version 1.0
  "$tufa" --project demo add demo/bundles/1.1 --version 1.1 --meta '{"notes": "Adds a feature"}'
  "$tufa" --project demo add demo/bundles/2.0 --version 2.0 --required --meta '{"notes": "Major release"}'
fi
"$tufa" --project demo status
echo
echo "Serving demo/repository on http://127.0.0.1:$PORT/ (Ctrl-C to stop)"
exec python3 -m http.server "$PORT" --bind 127.0.0.1 --directory demo/repository
