// Device actions in the real window against the emulator: the lost-device workflow from the
// search to the located device, and an erase with its typed confirmation.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { byTestId, openApp, screenshot, startEmulator } from "./support.mjs";

const timeout = { timeout: 40_000 };

/** A supervised, recently seen, non-shared device of a school, from the server's own API. */
async function lostCandidate(emulator) {
  const admin = emulator.user("DISTRICT_ADMIN");
  const headers = { "X-User-Access-Token": admin.token, "Content-Type": "application/json" };
  const orgs = await (
    await fetch(`${emulator.url}/api/management/v1/organizations`, { headers })
  ).json();
  const school = orgs.results.find((o) => o.type === "SCHOOL");
  const query = { limit: 200, offset: 0, getNonpagedCount: false };
  const answer = await fetch(
    `${emulator.url}/api/management/v2/devices/baseInfo/query?tenantOrganizationUuid=${school.uuid}`,
    { method: "POST", headers, body: JSON.stringify(query) },
  );
  const devices = (await answer.json()).results;
  const hourAgo = Date.now() - 3_600_000;
  return devices.find(
    (d) => d.supervised && !d.sharedIpad && Date.parse(d.lastConnectionDate) > hourAgo,
  );
}

async function signInAndSync(browser, emulator) {
  await byTestId(browser, "signin-server").waitForDisplayed(timeout);
  await byTestId(browser, "signin-server").setValue(emulator.url);
  await byTestId(browser, "signin-token").setValue(emulator.user("DISTRICT_ADMIN").token);
  await byTestId(browser, "signin-submit").click();
  await browser.waitUntil(
    async () => /\d/.test(await byTestId(browser, "device-count").getText()),
    { ...timeout, timeoutMsg: "the first sync never filled the inventory" },
  );
}

async function openDevice(browser, serial) {
  await byTestId(browser, "tab-inventory").click();
  const box = byTestId(browser, "search");
  await box.waitForDisplayed(timeout);
  await box.clearValue();
  await box.setValue(serial);
  const row = browser.$(`[data-testid="device-row"][data-serial="${serial}"]`);
  await row.waitForDisplayed({ ...timeout, timeoutMsg: `no row for ${serial}` });
  await row.click();
  await byTestId(browser, "device-detail").waitForDisplayed(timeout);
}

async function confirmAction(browser) {
  const confirm = byTestId(browser, "action-confirm");
  await confirm.waitForEnabled(timeout);
  await confirm.click();
  await byTestId(browser, "action-outcome").waitForDisplayed(timeout);
}

async function closeDialogIfOpen(browser) {
  if (await byTestId(browser, "action-dialog").isDisplayed()) await browser.keys("Escape");
  await byTestId(browser, "action-dialog").waitForDisplayed({ ...timeout, reverse: true });
}

describe("device actions in the window", { concurrency: false }, () => {
  let emulator;
  before(async () => {
    // Devices check in every 1–5 simulated minutes: a few real seconds at 60× speed.
    emulator = await startEmulator([
      "--seed", "19", "--schools", "2", "--devices", "150", "--clock-speed", "60",
    ]);
  });
  after(() => emulator?.stop());

  test("the lost-device workflow goes from the search to the located device", async () => {
    const device = await lostCandidate(emulator);
    assert.ok(device, "the seeded district has a supervised device seen in the last hour");
    const app = await openApp();
    try {
      const { browser } = app;
      await signInAndSync(browser, emulator);
      await openDevice(browser, device.serialNumber);
      assert.equal(
        await byTestId(browser, "action-locate").isEnabled(),
        false,
        "locate is offered only in lost mode",
      );

      await byTestId(browser, "action-lost-mode").click();
      await byTestId(browser, "action-dialog").waitForDisplayed(timeout);
      await byTestId(browser, "action-message").setValue("Bitte im Sekretariat abgeben");
      await byTestId(browser, "action-phone").setValue("+49 201 1234567");
      await screenshot(browser, "10-lost-mode-dialog");
      await confirmAction(browser);
      await closeDialogIfOpen(browser);
      await byTestId(browser, "action-locate").waitForEnabled({
        ...timeout,
        timeoutMsg: "locate never became possible after lost mode was acknowledged",
      });
      await byTestId(browser, "action-locate").click();
      await confirmAction(browser);
      await closeDialogIfOpen(browser);
      const located = await browser.waitUntil(
        async () =>
          (await byTestId(browser, "location-coordinates").isDisplayed()) ||
          (await browser.$('[data-testid="ledger-row"][data-kind="DEVICE_LOCATION"][data-state="ERROR"]').isDisplayed()),
        { ...timeout, timeoutMsg: "the locate never ended" },
      );

      assert.ok(located);
      await screenshot(browser, "11-located");
      if (await byTestId(browser, "location-coordinates").isDisplayed()) {
        assert.match(await byTestId(browser, "location-coordinates").getText(), /\d+[.,]\d+/);
        assert.ok(await byTestId(browser, "map-no-tiles").isDisplayed(), "no tile server set");
      }
    } finally {
      await app.close();
    }
  });

  test("an erase is sent only after the device's serial number is typed", async () => {
    const device = await lostCandidate(emulator);
    const app = await openApp();
    try {
      const { browser } = app;
      await signInAndSync(browser, emulator);
      await openDevice(browser, device.serialNumber);

      await byTestId(browser, "action-erase").click();
      await byTestId(browser, "action-dialog").waitForDisplayed(timeout);
      await byTestId(browser, "erase-confirmation").setValue("falsch");
      const blocked = await byTestId(browser, "action-confirm").isEnabled();
      await byTestId(browser, "erase-confirmation").clearValue();
      await byTestId(browser, "erase-confirmation").setValue(device.serialNumber);
      await screenshot(browser, "12-erase-confirmation");
      await confirmAction(browser);

      assert.equal(blocked, false, "a wrong confirmation keeps the erase from being sent");
      await screenshot(browser, "13-erase-queued");
      await closeDialogIfOpen(browser);
      await byTestId(browser, "detail-close").click();
      await byTestId(browser, "device-detail").waitForDisplayed({ ...timeout, reverse: true });
      await byTestId(browser, "tab-ledger").click();
      const row = browser.$('[data-testid="ledger-row"][data-kind="ERASE_DEVICE"]');
      await row.waitForDisplayed({ ...timeout, timeoutMsg: "the erase is not in the ledger" });
      const followUp = byTestId(browser, "erase-follow-up");
      await followUp.waitForDisplayed({ ...timeout, timeoutMsg: "the erase is not followed" });
      await screenshot(browser, "14-ledger");
      // The device enrols again 10–30 simulated minutes later; each sync may bring it back.
      await browser.waitUntil(
        async () => {
          if (await byTestId(browser, "sync-button").isClickable()) {
            await byTestId(browser, "sync-button").click();
          }
          await browser.pause(3000);
          return (await followUp.getAttribute("data-state")) === "backInService";
        },
        { timeout: 120_000, interval: 1000, timeoutMsg: "the erased device never came back" },
      );
      await screenshot(browser, "15-back-in-service");
    } finally {
      await app.close();
    }
  });
});
