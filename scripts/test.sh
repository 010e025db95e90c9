#!/usr/bin/env bash
# Runs every test of Koffer: the Rust tests (core, emulator, CLI, app commands), the UI's
# component tests, and the end-to-end tests of the real window under Xvfb. Works on a fresh
# Debian 12 machine with Rust and Node: it installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${KOFFER_KEYRING_SESSION:-}" ]; then
  scripts/setup.sh --with-test-tools
  # The credential-store tests use the kernel keyring, which needs a session keyring.
  KOFFER_KEYRING_SESSION=1 exec keyctl session - "$0" "$@"
fi
export PATH="$HOME/.cargo/bin:$PATH"

echo "== UI: types, component tests, build" >&2
npm --prefix ui run --silent check
npm --prefix ui test --silent
npm --prefix ui run --silent build

echo "== Rust: every crate's tests" >&2
cargo build --locked --workspace --bins
cargo test --locked --workspace

echo "== The real window under Xvfb" >&2
scripts/with-display.sh npm run --silent test:e2e
