// Benchmark (not a test): time from starting the desktop app to a usable inventory with
// 50,000 devices cached, and the app's memory then.
//
//   cargo build --release --locked -p koffer-sim -p koffer-cli -p koffer-desktop
//   scripts/with-display.sh node bench/app-start.mjs [--devices 50000] [--runs 3]
//
// "Usable" means the inventory shows its first rows and the total count. Memory is the
// resident set of the app process and of WebKit's web process that renders its window.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { remote } from "webdriverio";

import { startEmulator } from "../tests/e2e/support.mjs";

const { values } = parseArgs({
  options: { devices: { type: "string", default: "50000" }, runs: { type: "string", default: "3" } },
});
const release = join(process.cwd(), "target/release");
const devices = Number(values.devices);

const emulator = await startEmulator(
  ["--seed", "5", "--schools", "8", "--devices", String(devices)],
  join(release, "koffer-sim"),
);
const admin = emulator.user("DISTRICT_ADMIN");
const root = mkdtempSync(join(tmpdir(), "koffer-bench-app-"));
const demoCache = join(root, "profiles", "demo");
const cli = (...args) =>
  execFileSync(join(release, "koffer"), ["--data-dir", demoCache, ...args], {
    env: { ...process.env, KOFFER_TOKEN: admin.token },
    stdio: ["ignore", "ignore", "inherit"],
  });
cli("login", "--server", emulator.url);
cli("sync");
console.error(`cached ${devices} devices in ${demoCache}`);

function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

function pidsNamed(name) {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, "utf8").trim().startsWith(name);
      } catch {
        return false;
      }
    });
}

async function oneRun(port) {
  const driver = spawn(
    "tauri-driver",
    ["--port", String(port), "--native-port", String(port + 1)],
    {
      stdio: "ignore",
      env: {
        ...process.env,
        KOFFER_DATA_DIR: root,
        KOFFER_DEMO_SERVER: emulator.url,
        KOFFER_DEMO_TOKEN: admin.token,
      },
    },
  );
  await new Promise((r) => setTimeout(r, 1500));
  const started = performance.now();
  const browser = await remote({
    hostname: "127.0.0.1",
    port,
    logLevel: "error",
    capabilities: {
      browserName: "wry",
      "wdio:enforceWebDriverClassic": true,
      "tauri:options": { application: join(release, "koffer-desktop") },
    },
  });
  await browser.$('[data-testid="device-row"]').waitForDisplayed({ timeout: 60_000 });
  await browser.waitUntil(
    async () => /\d/.test(await browser.$('[data-testid="device-count"]').getText()),
    { timeout: 60_000 },
  );
  const usableMs = performance.now() - started;
  await new Promise((r) => setTimeout(r, 1000));
  const app = pidsNamed("koffer-desktop").map(rssMiB).reduce((a, b) => a + b, 0);
  const web = pidsNamed("WebKitWebProces").map(rssMiB).reduce((a, b) => a + b, 0);
  await browser.deleteSession();
  driver.kill("SIGKILL");
  return { usableMs, app, web };
}

const runs = [];
for (let i = 0; i < Number(values.runs); i++) runs.push(await oneRun(4700 + i * 10));
emulator.stop();

const median = (xs) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log("| measure | figure | target |");
console.log("|---|---|---|");
console.log(
  `| app start to usable inventory, ${devices} devices cached (median of ${runs.length}) | ` +
    `${median(runs.map((r) => r.usableMs)).toFixed(0)} ms | < 1500 ms |`,
);
console.log(
  `| memory of the app process then | ${median(runs.map((r) => r.app)).toFixed(0)} MiB | < 250 MB |`,
);
console.log(
  `| memory of WebKit's web process for the window | ${median(runs.map((r) => r.web)).toFixed(0)} MiB | |`,
);
