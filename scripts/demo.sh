#!/usr/bin/env bash
# The demo: starts the emulator with a small district on loopback, signs in as its district
# admin, syncs and lists devices with the `koffer` command.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --locked -q -p koffer-sim -p koffer-cli
data_dir=$(mktemp -d)
announce=$(mktemp)
target/debug/koffer-sim --seed 1 --schools 3 --devices 300 >"$announce" 2>/dev/null &
sim=$!
trap 'kill $sim 2>/dev/null; rm -rf "$data_dir" "$announce"' EXIT
until [ -s "$announce" ]; do sleep 0.1; done

read -r url token < <(node -e '
const a = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0]);
const admin = a.users.find((u) => u.role === "DISTRICT_ADMIN");
console.log(a.url, admin.token);' "$announce")

export KOFFER_TOKEN=$token
koffer() { target/debug/koffer --data-dir "$data_dir" "$@"; }
koffer login --server "$url"
koffer sync
koffer status
koffer devices --limit 15
koffer devices --battery-below 20 --limit 10
