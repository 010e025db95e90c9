#!/usr/bin/env bash
# Installs what building, running and testing Koffer needs on Debian 12, when it is missing:
# the system libraries of the window (WebKitGTK), Xvfb and WebKitWebDriver for the window
# tests, keyutils for the credential store, tauri-driver, and the npm packages.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/system-deps.sh build-essential pkg-config file libssl-dev keyutils \
  libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev \
  librsvg2-dev libayatana-appindicator3-dev libxdo-dev xvfb xauth webkit2gtk-driver

if [ "${1:-}" = "--with-test-tools" ] && ! command -v tauri-driver >/dev/null; then
  echo "Installing tauri-driver (about a minute)" >&2
  cargo install tauri-driver --locked --quiet
fi

npm_install() {
  # `npm ci` only when the lock file changed since the last install.
  local dir=$1
  if [ ! -f "$dir/node_modules/.package-lock.json" ] \
    || ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.koffer-installed-lock"; then
    (cd "$dir" && npm ci --no-fund --no-audit --loglevel=error)
    cp "$dir/package-lock.json" "$dir/node_modules/.koffer-installed-lock"
  fi
}
npm_install .
npm_install ui
