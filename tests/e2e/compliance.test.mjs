// Compliance in the real window against the emulator: a device that misses a required app is
// found in the compliance view, the app is installed from its detail, the device checks in,
// and after a sync Koffer finds it compliant.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { byTestId, openApp, screenshot, startEmulator } from "./support.mjs";

const timeout = { timeout: 40_000 };

/** Supervised devices seen in the last hour, by serial, from the server's own API. */
async function reachableDevices(emulator) {
  const admin = emulator.user("DISTRICT_ADMIN");
  const headers = { "X-User-Access-Token": admin.token, "Content-Type": "application/json" };
  const orgs = await (
    await fetch(`${emulator.url}/api/management/v1/organizations`, { headers })
  ).json();
  const hourAgo = Date.now() - 3_600_000;
  const devices = new Map();
  for (const school of orgs.results.filter((o) => o.type === "SCHOOL")) {
    const query = { limit: 500, offset: 0, getNonpagedCount: false };
    const answer = await fetch(
      `${emulator.url}/api/management/v2/devices/baseInfo/query?tenantOrganizationUuid=${school.uuid}`,
      { method: "POST", headers, body: JSON.stringify(query) },
    );
    for (const d of (await answer.json()).results) {
      if (d.supervised && Date.parse(d.lastConnectionDate) > hourAgo) devices.set(d.serialNumber, d);
    }
  }
  return devices;
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

/** The rows of the compliance view that miss a required app on a device the server reaches. */
async function missingAppRows(browser, reachable) {
  const rows = await browser.$$('[data-testid="compliance-row"][data-koffer="nonCompliant"]');
  const found = [];
  for (const row of rows) {
    const serial = await row.getAttribute("data-serial");
    if (!reachable.has(serial)) continue;
    if (await row.$('[data-testid="reason"][data-kind="missing"]').isExisting()) found.push(row);
  }
  return found;
}

async function syncNow(browser) {
  const button = byTestId(browser, "sync-button");
  await button.waitForClickable(timeout);
  await button.click();
  await browser.pause(500);
  await button.waitForClickable({ ...timeout, timeoutMsg: "the sync never ended" });
}

describe("compliance in the window", { concurrency: false }, () => {
  let emulator;
  before(async () => {
    emulator = await startEmulator([
      "--seed", "19", "--schools", "2", "--devices", "150", "--clock-speed", "60",
    ]);
  });
  after(() => emulator?.stop());

  test("a device missing a required app gets it and becomes compliant", async () => {
    const reachable = await reachableDevices(emulator);
    const app = await openApp();
    try {
      const { browser } = app;
      await signInAndSync(browser, emulator);

      await byTestId(browser, "tab-compliance").click();
      await byTestId(browser, "compliance-counts").waitForDisplayed(timeout);
      await byTestId(browser, "only-non-compliant").click();
      await browser.waitUntil(async () => (await missingAppRows(browser, reachable)).length > 0, {
        ...timeout,
        timeoutMsg: "no reachable device misses a required app",
      });
      await screenshot(browser, "40-compliance-view");

      // A device whose organisation still has a licence of the app: the preflight says which.
      let chosen = null;
      for (const row of await missingAppRows(browser, reachable)) {
        const serial = await row.getAttribute("data-serial");
        const uuid = await row.getAttribute("data-uuid");
        await row.$('[data-testid="compliance-open"]').click();
        const section = byTestId(browser, "detail-compliance");
        await byTestId(browser, "detail-koffer-verdict").waitForDisplayed(timeout);
        const reason = section.$('[data-testid="detail-reason"][data-kind="missing"]');
        await reason.waitForDisplayed(timeout);
        await reason.scrollIntoView({ block: "center" });
        await screenshot(browser, "41-compliance-detail");
        const install = reason.$('[data-testid="detail-install"]');
        await install.scrollIntoView({ block: "center" });
        await install.click();
        await byTestId(browser, "remediation-dialog").waitForDisplayed(timeout);
        await browser.waitUntil(
          async () =>
            (await byTestId(browser, "remedy-confirm").isEnabled()) ||
            (await byTestId(browser, "remedy-blocked").isDisplayed()),
          { ...timeout, timeoutMsg: "the remediation's preflight never answered" },
        );
        await screenshot(browser, "42-compliance-remediation");
        if (await byTestId(browser, "remedy-confirm").isEnabled()) {
          chosen = { serial, uuid };
          break;
        }
        await byTestId(browser, "remedy-cancel").click();
        await byTestId(browser, "detail-close").click();
        await byTestId(browser, "device-detail").waitForDisplayed({ ...timeout, reverse: true });
      }
      assert.ok(chosen, "some device's organisation has a licence of its missing app left");

      await byTestId(browser, "remedy-confirm").click();
      const progress = byTestId(browser, "remedy-progress");
      await progress.waitForDisplayed(timeout);
      // The device fetches the install when it checks in; the window follows the ledger.
      await browser.waitUntil(
        async () => {
          await fetch(`${emulator.url}/sim/devices/${chosen.uuid}/check-in`, { method: "POST" });
          return (await progress.getAttribute("data-done")) === "1";
        },
        { timeout: 60_000, interval: 2000, timeoutMsg: "the install was never acknowledged" },
      );
      await screenshot(browser, "43-compliance-installed");
      await byTestId(browser, "remedy-close").click();
      await byTestId(browser, "remediation-dialog").waitForDisplayed({ ...timeout, reverse: true });

      await byTestId(browser, "detail-close").click();
      await byTestId(browser, "device-detail").waitForDisplayed({ ...timeout, reverse: true });

      // The cache learns of the installed app at the next sync; then the device leaves the list.
      const listed = browser.$(`[data-testid="compliance-row"][data-serial="${chosen.serial}"]`);
      await browser.waitUntil(
        async () => {
          await syncNow(browser);
          return !(await listed.isExisting());
        },
        { timeout: 90_000, interval: 1000, timeoutMsg: "the device stayed non-compliant" },
      );
      await screenshot(browser, "44-compliance-after-sync");

      await byTestId(browser, "only-non-compliant").click();
      await byTestId(browser, "search").setValue(chosen.serial);
      await listed.waitForDisplayed({ ...timeout, timeoutMsg: "the device is not in the report" });
      assert.equal(await listed.getAttribute("data-koffer"), "compliant", "Koffer's verdict");
      assert.equal(await listed.getAttribute("data-disagrees"), "false", "the server agrees");
      await listed.$('[data-testid="compliance-open"]').click();
      const verdict = byTestId(browser, "detail-koffer-verdict");
      await verdict.waitForDisplayed(timeout);

      assert.equal(await verdict.getAttribute("data-koffer"), "compliant");
      assert.equal(
        await byTestId(browser, "detail-compliance")
          .$('[data-testid="detail-reason"][data-kind="missing"]')
          .isExisting(),
        false,
        "no required app is missing any more",
      );
      await verdict.scrollIntoView({ block: "center" });
      await screenshot(browser, "45-compliance-detail-compliant");
      await byTestId(browser, "detail-close").click();
      await byTestId(browser, "device-detail").waitForDisplayed({ ...timeout, reverse: true });
    } finally {
      await app.close();
    }
  });

  test("the report is exported as the view filters it, and the licences are shown", async () => {
    const app = await openApp();
    try {
      const { browser } = app;
      await signInAndSync(browser, emulator);
      await byTestId(browser, "tab-compliance").click();
      await byTestId(browser, "compliance-counts").waitForDisplayed(timeout);
      await byTestId(browser, "only-non-compliant").click();

      await byTestId(browser, "compliance-export").click();
      await byTestId(browser, "export-dialog").waitForDisplayed(timeout);
      await byTestId(browser, "export-csv").click();
      await byTestId(browser, "export-save").click();
      const download = byTestId(browser, "export-download");
      await download.waitForDisplayed({ ...timeout, timeoutMsg: "the report was never made" });

      assert.match(await download.getAttribute("download"), /^koffer-compliance.*\.csv$/);
      assert.match(await byTestId(browser, "export-outcome").getText(), /\d+ Geräten/);
      await screenshot(browser, "46-compliance-export");
      await byTestId(browser, "export-close").click();

      await byTestId(browser, "tab-licences").click();
      const org = byTestId(browser, "licence-org");
      await org.waitForDisplayed(timeout);
      assert.ok(
        (await browser.$$('[data-testid="licence-bar"]').length) > 0,
        "every app with VPP licences has its bar",
      );
      await screenshot(browser, "47-licences");

      await byTestId(browser, "high-contrast").click();
      await screenshot(browser, "48-licences-high-contrast");
      await byTestId(browser, "tab-compliance").click();
      await byTestId(browser, "compliance-counts").waitForDisplayed(timeout);
      await screenshot(browser, "49-compliance-high-contrast");
    } finally {
      await app.close();
    }
  });
});
