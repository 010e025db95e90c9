// The real app window, driven through WebDriver, against the emulator over loopback: sign in,
// sync, search, detail, overview; a rejected token; and the cache with the server gone.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { byTestId, openApp, screenshot, startEmulator } from "./support.mjs";

const timeout = { timeout: 30_000 };

async function signIn(browser, { server, token, label }) {
  await byTestId(browser, "signin-server").waitForDisplayed(timeout);
  await byTestId(browser, "signin-server").setValue(server);
  await byTestId(browser, "signin-token").setValue(token);
  if (label) await byTestId(browser, "signin-label").setValue(label);
  await byTestId(browser, "signin-submit").click();
}

async function syncAndWaitFor(browser, devices) {
  await byTestId(browser, "sync-button").waitForClickable(timeout);
  await byTestId(browser, "sync-button").click();
  await browser.waitUntil(
    async () => (await byTestId(browser, "device-count").getText()).includes(devices),
    { ...timeout, timeoutMsg: `the inventory never showed ${devices} devices` },
  );
}

async function serialOf(emulator, index) {
  const devices = await (await fetch(`${emulator.url}/sim/devices`)).json();
  devices.sort((a, b) => a.uuid.localeCompare(b.uuid));
  return devices[index].serialNumber;
}

async function search(browser, text) {
  const box = byTestId(browser, "search");
  await box.waitForDisplayed(timeout);
  await box.clearValue();
  await box.setValue(text);
  const row = browser.$(`[data-testid="device-row"][data-serial="${text}"]`);
  await row.waitForDisplayed({ ...timeout, timeoutMsg: `no row for serial ${text}` });
  return row;
}

describe("the inventory window", { concurrency: false }, () => {
  let emulator;
  before(async () => {
    emulator = await startEmulator(["--seed", "17", "--schools", "3", "--devices", "300"]);
  });
  after(() => emulator?.stop());

  test("a coordinator signs in, syncs, finds a device by serial and opens its detail", async () => {
    const app = await openApp();
    try {
      const { browser } = app;
      await byTestId(browser, "signin-server").waitForDisplayed(timeout);
      await screenshot(browser, "01-sign-in");

      await signIn(browser, {
        server: emulator.url,
        token: emulator.user("DISTRICT_ADMIN").token,
        label: "PROD",
      });
      await byTestId(browser, "profile-label").waitForDisplayed(timeout);
      assert.match(await byTestId(browser, "profile-label").getText(), /PROD/, "label shown");
      await syncAndWaitFor(browser, "300");
      await screenshot(browser, "02-inventory");

      const serial = await serialOf(emulator, 42);
      const row = await search(browser, serial);
      await screenshot(browser, "03-search-by-serial");
      await row.click();
      const detail = byTestId(browser, "device-detail");
      await detail.waitForDisplayed(timeout);

      assert.equal(await byTestId(browser, "detail-serial").getText(), serial, "the right device");
      const apps = await byTestId(browser, "detail-apps").$$("tr");
      assert.ok(apps.length > 5, `its installed apps are listed (${apps.length} rows)`);
      await screenshot(browser, "04-device-detail");

      await browser.keys("Escape");
      await byTestId(browser, "tab-overview").click();
      await byTestId(browser, "overview").waitForDisplayed(timeout);
      await byTestId(browser, "chart-os").waitForDisplayed(timeout);
      await screenshot(browser, "05-overview");
    } finally {
      await app.close();
    }
  });

  test("a rejected token is reported next to the token field", async () => {
    const app = await openApp();
    try {
      const { browser } = app;

      await signIn(browser, { server: emulator.url, token: "not-a-valid-token" });

      const message = byTestId(browser, "signin-error-token");
      await message.waitForDisplayed(timeout);
      assert.ok((await message.getText()).length > 10, "the message says what to do");
      await screenshot(browser, "06-rejected-token");
    } finally {
      await app.close();
    }
  });
});

describe("offline", { concurrency: false }, () => {
  test("with the server gone the cache keeps answering searches", async () => {
    const emulator = await startEmulator(["--seed", "18", "--schools", "2", "--devices", "120"]);
    const app = await openApp();
    try {
      const { browser } = app;
      await signIn(browser, { server: emulator.url, token: emulator.user("DISTRICT_ADMIN").token });
      await syncAndWaitFor(browser, "120");
      const serial = await serialOf(emulator, 7);

      emulator.stop();
      // A sync may still run; the button is clickable again once it has ended.
      await byTestId(browser, "sync-button").waitForClickable({ timeout: 60_000 });
      await byTestId(browser, "sync-button").click();
      await byTestId(browser, "offline-banner").waitForDisplayed({ timeout: 60_000 });
      await screenshot(browser, "07-offline");
      await search(browser, serial);

      const status = byTestId(browser, "server-status");
      assert.equal(await status.getAttribute("data-reachable"), "false", "it says it is offline");
      await screenshot(browser, "08-offline-search");
    } finally {
      await app.close();
      emulator.stop();
    }
  });
});
