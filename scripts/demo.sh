#!/usr/bin/env bash
# The demo: starts the emulator with a district of three schools and a few hundred iPads on
# loopback, and opens the Koffer window on it. The window syncs and shows the inventory.
# Works on a fresh Debian 12 machine with Rust and Node: it installs what is missing first.
#   scripts/demo.sh           the desktop app
#   scripts/demo.sh --teacher the window as one of the first school's teachers: the teacher
#                             console with only that teacher's classes
#   scripts/demo.sh --cli     the same district through the `koffer` command instead
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
npm --prefix ui run --silent build
cargo build --locked -q -p koffer-sim -p koffer-cli -p koffer-desktop

announce=$(mktemp)
data_dir=$(mktemp -d)
target/debug/koffer-sim --seed 1 --schools 3 --devices 360 --churn 0.002 --clock-speed 60 \
  >"$announce" 2>/dev/null &
sim=$!
trap 'kill $sim 2>/dev/null; rm -rf "$announce" "$data_dir"' EXIT
until [ -s "$announce" ]; do sleep 0.1; done

role=DISTRICT_ADMIN
[ "${1:-}" = "--teacher" ] && role=TEACHER
read -r url token < <(node -e '
const a = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0]);
const user = a.users.find((u) => u.role === process.argv[2]);
console.log(a.url, user.token);' "$announce" "$role")
echo "Emulator at $url; users and tokens: $announce" >&2

if [ "${1:-}" = "--cli" ]; then
  export KOFFER_TOKEN=$token
  koffer() { target/debug/koffer --data-dir "$data_dir" "$@"; }
  koffer login --server "$url"
  koffer sync
  koffer status
  koffer devices --limit 15
  exit
fi

# The demo profile's token stays in this process's environment, never in the credential store.
KOFFER_DEMO_SERVER=$url KOFFER_DEMO_TOKEN=$token KOFFER_DEMO_ROLE=$role KOFFER_DATA_DIR=$data_dir \
  scripts/with-display.sh target/debug/koffer-desktop
