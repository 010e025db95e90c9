// Shared by the end-to-end tests: the emulator as a process, the real app window driven
// through tauri-driver and WebKitWebDriver, and screenshots a person can look at.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { remote } from "webdriverio";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const exe = process.platform === "win32" ? ".exe" : "";
export const appBinary = join(root, "target/debug", `koffer-desktop${exe}`);
const simBinary = join(root, "target/debug", `koffer-sim${exe}`);
export const screenshotDir = join(root, "test-output/e2e");

/** Starts the emulator on a free loopback port; resolves once it announced its address. */
export function startEmulator(args = [], binary = simBinary) {
  const child = spawn(binary, ["--listen", "127.0.0.1:0", ...args], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  return new Promise((resolvePromise, reject) => {
    child.once("error", reject);
    createInterface({ input: child.stdout }).once("line", (line) => {
      const announced = JSON.parse(line);
      resolvePromise({
        url: announced.url,
        users: announced.users,
        user: (role) => announced.users.find((u) => u.role === role),
        stop: () => child.kill("SIGKILL"),
      });
    });
  });
}

function freePort() {
  return new Promise((resolvePromise) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePromise(port));
    });
  });
}

function accepts(port) {
  return new Promise((resolvePromise) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => socket.end(() => resolvePromise(true)));
    socket.once("error", () => resolvePromise(false));
  });
}

async function waitForPort(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await accepts(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`tauri-driver did not listen on port ${port} in time`);
}

/**
 * Opens the built app in a window of its own, with a fresh data folder, through a tauri-driver
 * of its own (so each test's environment reaches the app).
 */
export async function openApp({ env = {} } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "koffer-e2e-"));
  const port = await freePort();
  const driver = spawn(
    "tauri-driver",
    ["--port", String(port), "--native-port", String(await freePort()),
      "--native-driver", "/usr/bin/WebKitWebDriver"],
    { stdio: "ignore", env: { ...process.env, KOFFER_DATA_DIR: dataDir, ...env } },
  );
  await waitForPort(port, 20_000);
  const browser = await remote({
    hostname: "127.0.0.1",
    port,
    logLevel: "warn",
    capabilities: {
      browserName: "wry",
      "wdio:enforceWebDriverClassic": true,
      "tauri:options": { application: appBinary },
    },
  });
  return {
    browser,
    dataDir,
    async close() {
      await browser.deleteSession().catch(() => {});
      driver.kill("SIGKILL");
    },
  };
}

/** The element with this data-testid. */
export function byTestId(browser, id) {
  return browser.$(`[data-testid="${id}"]`);
}

/** Saves a screenshot under test-output/e2e after the page has painted its last update. */
export async function screenshot(browser, name) {
  await browser.executeAsync((done) =>
    requestAnimationFrame(() => requestAnimationFrame(() => done())),
  );
  mkdirSync(screenshotDir, { recursive: true });
  writeFileSync(join(screenshotDir, `${name}.png`), await browser.takeScreenshot(), "base64");
}
