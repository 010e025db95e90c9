// The real app window, driven through WebDriver, against the emulator over loopback: a district
// user compares a school's policy with its template, sees the values that differ, copies the
// template into the school and finds the new, unpublished version there and on the server.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { byTestId, openApp, screenshot, startEmulator } from "./support.mjs";

const timeout = { timeout: 30_000 };

async function signInAndSync(browser, emulator) {
  await byTestId(browser, "signin-server").waitForDisplayed(timeout);
  await byTestId(browser, "signin-server").setValue(emulator.url);
  await byTestId(browser, "signin-token").setValue(emulator.user("DISTRICT_ADMIN").token);
  await byTestId(browser, "signin-label").setValue("PROD");
  await byTestId(browser, "signin-submit").click();
  await browser.waitUntil(
    async () => /\d/.test(await byTestId(browser, "device-count").getText()),
    { ...timeout, timeoutMsg: "the first sync never filled the inventory" },
  );
  // The first sync runs on; the sync button is clickable again once it has ended.
  await byTestId(browser, "sync-button").waitForClickable({ timeout: 60_000 });
}

/** A GET of the server's API as the district admin; answers the results of a page. */
async function serverGet(emulator, path) {
  const token = emulator.user("DISTRICT_ADMIN").token;
  const answer = await fetch(`${emulator.url}${path}`, {
    headers: { "X-User-Access-Token": token },
  });
  assert.equal(answer.status, 200, `the server answers ${path}`);
  const body = await answer.json();
  return body.results ?? body;
}

/** Opens each differing cell until one whose comparison shows changed values. */
async function openChangedComparison(browser) {
  const cells = await browser.$$('[data-testid="template-cell"][data-state="differs"]');
  assert.ok(cells.length > 0, "some school's copy differs from its template");
  for (const cell of cells) {
    await cell.click();
    await byTestId(browser, "diff-counts").waitForDisplayed(timeout);
    if (await byTestId(browser, "diff-changed").isExisting()) return cell;
    await byTestId(browser, "diff-close").click();
    await byTestId(browser, "policy-diff").waitForDisplayed({ ...timeout, reverse: true });
  }
  throw new Error("no differing copy has a changed configuration");
}

describe("policy templates in the window", { concurrency: false }, () => {
  let emulator;
  before(async () => {
    emulator = await startEmulator(["--seed", "23", "--schools", "4", "--devices", "200"]);
  });
  after(() => emulator?.stop());

  test("a district user compares a school with its template and copies the template", async () => {
    const app = await openApp();
    try {
      const { browser } = app;
      await signInAndSync(browser, emulator);

      await byTestId(browser, "tab-templates").click();
      await byTestId(browser, "template-matrix").waitForDisplayed(timeout);
      await screenshot(browser, "20-templates-matrix");

      const cell = await openChangedComparison(browser);
      const orgName = await cell.getAttribute("data-org");
      const templateName = await cell.getAttribute("data-template");
      const differing = await browser.$$('[data-testid="diff-changed"] tr.differs');
      assert.ok(differing.length > 0, "the comparison marks the values that differ");
      const template = await differing[0].$('[data-testid="value-template"]').getText();
      const school = await differing[0].$('[data-testid="value-copy"]').getText();
      assert.notEqual(template, school, "template value and school value stand side by side");
      await screenshot(browser, "21-template-diff");

      await byTestId(browser, "copy-template").click();
      const summary = byTestId(browser, "copy-summary");
      await summary.waitForDisplayed(timeout);
      assert.match(
        await browser.$('[role="alertdialog"]').getText(),
        /nicht veröffentlicht/,
        "the confirmation says the copy is a new unpublished version",
      );
      await screenshot(browser, "22-copy-confirmation");
      await byTestId(browser, "confirm-button").click();

      const result = byTestId(browser, "copy-result");
      await result.waitForDisplayed(timeout);
      assert.match(await result.getText(), /nicht veröffentlicht/, "the result says unpublished");
      const version = await byTestId(browser, "diff-copy-version").getText();
      assert.match(version, /nicht veröffentlicht/, "the school's newest version is unpublished");
      await byTestId(browser, "diff-same").waitForDisplayed(timeout);
      await screenshot(browser, "23-template-copied");

      const orgs = await serverGet(emulator, "/api/management/v1/organizations");
      const org = orgs.find((o) => o.name === orgName);
      assert.ok(org, `the server knows ${orgName}`);
      const policies = await serverGet(
        emulator,
        `/api/management/v1/policies?tenantOrganizationUuid=${org.uuid}`,
      );
      assert.ok(
        policies.some((p) => p.templateUuid && !p.published),
        "the server holds the school's new unpublished version",
      );

      await byTestId(browser, "diff-close").click();
      await byTestId(browser, "tab-policies").click();
      await byTestId(browser, "policies-view").waitForDisplayed(timeout);
      await byTestId(browser, "policies-unpublished").click();
      await screenshot(browser, "24-policies-unpublished");

      await byTestId(browser, "tab-district").click();
      await byTestId(browser, "district-table").waitForDisplayed(timeout);
      await screenshot(browser, "25-district");

      await byTestId(browser, "high-contrast").click();
      await byTestId(browser, "tab-templates").click();
      await byTestId(browser, "template-matrix").waitForDisplayed(timeout);
      const again = `[data-testid="template-cell"][data-org="${orgName}"]`;
      await browser.$(`${again}[data-template="${templateName}"]`).click();
      await byTestId(browser, "diff-counts").waitForDisplayed(timeout);
      await screenshot(browser, "26-template-diff-high-contrast");

      await byTestId(browser, "diff-close").click();
      await byTestId(browser, "high-contrast").click();
      await byTestId(browser, "tab-inventory").click();
      await browser.$('[data-testid="device-row"]').waitForDisplayed(timeout);
      await browser.$('[data-testid="device-row"]').click();
      const applied = byTestId(browser, "device-policies");
      await applied.waitForDisplayed(timeout);
      await browser.waitUntil(async () => !(await applied.getText()).includes("geladen"), timeout);
      await applied.scrollIntoView();
      await screenshot(browser, "27-device-policies");
    } catch (error) {
      await screenshot(app.browser, "29-templates-failure").catch(() => {});
      throw error;
    } finally {
      await app.close();
    }
  });
});
