#!/usr/bin/env bash
# Builds the desktop app's Debian package, installs it with dpkg and starts
# the INSTALLED app under Xvfb, checking that it really runs: its window
# appears, the embedded front end creates the demo repository on first
# start (in a temporary HOME), and the process stays up.
#   bash scripts/deb-test.sh          # `tauri build --debug --bundles deb`, then the checks
#   bash scripts/deb-test.sh X.deb    # the checks on a package built elsewhere (e.g. release)
# Run as root (dpkg). The package is removed again afterwards unless it
# was installed before the test.
set -euo pipefail
self=$(realpath "$0")
[ $# -ge 1 ] && [ "$1" != --start-installed ] && set -- "$(realpath "$1")"
cd "$(dirname "$self")/.."
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"

fail() {
  echo "deb-test: $*" >&2
  exit 1
}

# --- Inside the display (re-run by the outer part below) -------------------
if [ "${1:-}" = "--start-installed" ]; then
  bin=$2 wm_class=$3 out=$4
  home=$(mktemp -d)
  # The app's defaults, not a test's overrides: its data and logs go to
  # ~/.local/share/dev.tufa.app as for a user who installed the package.
  unset TUFA_APP_DATA TUFA_LOG XDG_DATA_HOME XDG_CONFIG_HOME XDG_CACHE_HOME
  data="$home/.local/share/dev.tufa.app"
  (cd "$home" && HOME="$home" exec "$bin" --demo) >"$out/app.log" 2>&1 &
  pid=$!
  cleanup() {
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -rf "$home"
  }
  trap cleanup EXIT
  alive() { kill -0 "$pid" 2>/dev/null || { cat "$out/app.log" >&2; fail "the installed app exited: $*"; }; }

  # 1. A visible top-level window titled "Tufa", of the class the desktop
  # entry names (so a dock shows it under the entry's icon).
  win=""
  for _ in $(seq 150); do
    alive "before showing its window"
    win=$(xdotool search --onlyvisible --name '^Tufa$' 2>/dev/null | head -1 || true)
    [ -n "$win" ] && break
    sleep 0.2
  done
  [ -n "$win" ] || fail "no visible window named Tufa within 30 s"
  class=$(xprop -id "$win" WM_CLASS)
  case "$class" in
    *"\"$wm_class\""*) ;;
    *) fail "window class is $class, the desktop entry says StartupWMClass=$wm_class" ;;
  esac
  geometry=$(xdotool getwindowgeometry "$win" | sed -n 's/.*Geometry: //p')
  echo "deb-test: window $win ($geometry), $class"

  # 2. First start with --demo: the front end (embedded in the binary, not
  # a dev server) asks the engine for the demo repository, which signs and
  # publishes two releases, then remembers it as a recent project.
  project="$data/demo/project"
  for _ in $(seq 300); do
    alive "while creating the demo repository"
    grep -qF "\"$project\"" "$data/recent.json" 2>/dev/null && break
    sleep 0.2
  done
  grep -qF "\"$project\"" "$data/recent.json" 2>/dev/null ||
    fail "the demo repository was not created and opened within 60 s (no $project in $data/recent.json)"
  for f in tufa.toml repository/metadata/1.root.json repository/metadata/timestamp.json \
    repository/targets/demo-1.0.tar.gz repository/targets/demo-1.1.tar.gz repository/targets/demo-1.1.patch; do
    [ -s "$project/$f" ] || fail "demo repository incomplete: $project/$f missing"
  done
  grep -q '"demo-1.1.tar.gz"' "$project/repository/metadata/targets.json" ||
    fail "targets.json does not list demo-1.1.tar.gz"

  # 3. The log trail in the platform's log folder.
  log=$(ls "$data"/logs/tufa-app.*.log 2>/dev/null | head -1 || true)
  [ -n "$log" ] || fail "no log file in $data/logs"
  grep -q "tufa-app started" "$log" || fail "$log lacks the start line"

  # 4. Still up a few seconds later, window still there.
  sleep 3
  alive "after creating the demo repository"
  xdotool search --onlyvisible --name '^Tufa$' >/dev/null || fail "the window went away"
  command -v import >/dev/null && import -window root "$out/installed-app.png" 2>/dev/null || true
  echo "deb-test: the installed app runs: window shown, demo repository created in $project"
  exit 0
fi

# --- Outside: build, inspect, install, start --------------------------------
[ "$(id -u)" = 0 ] || fail "run as root (installs the package with dpkg)"
target="${CARGO_TARGET_DIR:-$PWD/target}"
out="$target/deb-test"
rm -rf "$out"
mkdir -p "$out"

if [ $# -ge 1 ]; then
  deb=$1
else
  start=$(date +%s)
  # What `npx tauri build` does for a release (the front end through
  # beforeBuildCommand, `cargo build` of the app alone, then the bundle),
  # in the debug profile: the dependencies compiled by the rest of CI are
  # reused and no release build is added. The package is the same but for
  # the binary (unoptimised, with line tables; target/debug/bundle/deb/).
  npx --prefix ui tauri build --ci --debug --bundles deb
  echo "deb-test: tauri build --debug --bundles deb took $(($(date +%s) - start)) s"
  deb=$(ls -t "$target"/debug/bundle/deb/*.deb | head -1)
fi
[ -f "$deb" ] || fail "no package at $deb"
echo "deb-test: $deb ($(du -h "$deb" | cut -f1))"

# The package: control fields a user and apt see, and its files.
field() { dpkg-deb --field "$deb" "$1"; }
pkg=$(field Package)
[ "$pkg" = tufa ] || fail "package name is '$pkg', expected tufa"
for f in Version Maintainer Description Depends Section; do
  [ -n "$(field "$f")" ] || fail "control field $f is empty"
done
echo "deb-test: $pkg $(field Version), Maintainer: $(field Maintainer), Depends: $(field Depends)"
dpkg-deb --contents "$deb" | awk '{print $NF}' | sed 's|^\.\{0,1\}/\{0,1\}|/|' >"$out/contents"
desktop=/usr/share/applications/Tufa.desktop
for f in /usr/bin/tufa-app "$desktop" /usr/share/doc/tufa/copyright \
  /usr/share/icons/hicolor/32x32/apps/tufa-app.png \
  /usr/share/icons/hicolor/64x64/apps/tufa-app.png \
  /usr/share/icons/hicolor/128x128/apps/tufa-app.png \
  /usr/share/icons/hicolor/512x512/apps/tufa-app.png; do
  grep -qxF "$f" "$out/contents" || fail "$f is not in the package"
done

# Install (dpkg; apt pulls missing dependencies if there are any).
was_installed=0
dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" && was_installed=1
if ! dpkg -i "$deb"; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -f --no-install-recommends
fi
if [ "$was_installed" = 0 ] && [ "${DEB_TEST_KEEP:-0}" != 1 ]; then
  trap 'dpkg -r '"$pkg"' >/dev/null || true' EXIT
fi
dpkg-query -W -f='${Status}\n' "$pkg" | grep -q "ok installed" || fail "$pkg is not installed"

# The desktop entry: valid, starting the installed binary, with its icon.
command -v desktop-file-validate >/dev/null && { desktop-file-validate "$desktop" || fail "$desktop is not valid"; }
entry() { sed -n "s/^$1=//p" "$desktop"; }
exec_cmd=$(entry Exec | awk '{print $1}')
[ "$(command -v "$exec_cmd")" = /usr/bin/tufa-app ] || fail "Exec=$exec_cmd does not start /usr/bin/tufa-app"
[ -f "/usr/share/icons/hicolor/128x128/apps/$(entry Icon).png" ] || fail "Icon=$(entry Icon) not installed"
[ "$(entry Name)" = Tufa ] || fail "desktop entry Name is '$(entry Name)'"
wm_class=$(entry StartupWMClass)
[ -n "$wm_class" ] || fail "no StartupWMClass in $desktop"

# Every library the binary links comes from a package the package depends
# on (directly or through them), so it installs on a machine without the
# build dependencies.
ldd /usr/bin/tufa-app >"$out/ldd"
! grep -q "not found" "$out/ldd" || fail "unresolved libraries: $(grep 'not found' "$out/ldd")"
depends=$(field Depends | tr ',' '\n' | sed 's/([^)]*)//; s/|.*//; s/ //g' | grep -v '^$')
# shellcheck disable=SC2086
apt-cache depends --recurse --installed --no-recommends --no-suggests --no-conflicts \
  --no-breaks --no-replaces --no-enhances $depends 2>/dev/null |
  grep -v '^ ' | sed 's/:.*//' | sort -u >"$out/closure"
for lib in $(objdump -p /usr/bin/tufa-app | awk '/NEEDED/ {print $2}'); do
  # "libx.so.1 => /path (0x…)", or "/lib64/ld-linux-x86-64.so.2 (0x…)".
  path=$(awk -v l="$lib" '$2 == "=>" && $1 == l {print $3} $1 ~ "/" l "$" {print $1}' "$out/ldd" | head -1)
  [ -n "$path" ] || fail "ldd does not show where $lib comes from"
  owner=""
  # dpkg knows a file by the path its package ships (/lib or /usr/lib,
  # the link or the versioned file).
  for p in "$path" "$(realpath "$path")"; do
    for q in "$p" "${p#/usr}" "/usr$p"; do
      [ -n "$owner" ] || owner=$(dpkg -S "$q" 2>/dev/null | head -1 | cut -d: -f1 || true)
    done
  done
  [ -n "$owner" ] || fail "$lib ($path) belongs to no package"
  echo "$lib $owner" >>"$out/libraries"
  grep -qxF "$owner" "$out/closure" || fail "$lib comes from $owner, which the package does not depend on (Depends: $(field Depends))"
done
echo "deb-test: installed; desktop entry and icons in place; the $(wc -l <"$out/libraries") libraries it links come from $(cut -d' ' -f2 "$out/libraries" | sort -u | paste -sd' ') (all covered by Depends)"

# Start the installed binary in a display of its own, in a private D-Bus
# session (GTK would otherwise start daemons that outlive it).
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
  bash "$self" --start-installed /usr/bin/tufa-app "$wm_class" "$out"
