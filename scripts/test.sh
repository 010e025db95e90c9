#!/usr/bin/env bash
# Runs every test of Koffer. Works on a fresh Debian 12 machine with Rust and Node: it installs
# the few system packages the tests need first.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/system-deps.sh keyutils build-essential pkg-config

# The credential-store tests use the kernel keyring, which needs a session keyring of its own.
keyctl session - cargo test --workspace --locked
