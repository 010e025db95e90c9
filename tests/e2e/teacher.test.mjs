// The teacher console in the real window against the emulator: a teacher signs in, sees their
// classes, opens one, starts a lesson, locks the class's screens, sees the iPads acknowledge
// on their tiles, and ends the lesson, which lifts the lock on the server.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { byTestId, openApp, screenshot, startEmulator } from "./support.mjs";

const timeout = { timeout: 40_000 };

async function serverGet(emulator, token, path) {
  const answer = await fetch(`${emulator.url}${path}`, {
    headers: { "X-User-Access-Token": token },
  });
  assert.equal(answer.status, 200, `GET ${path} answers 200`);
  return answer.json();
}

/** A seeded teacher and the name of their class with the most devices, from the server. */
async function teacherWithClass(emulator) {
  let best = null;
  for (const user of emulator.users.filter((u) => u.role === "TEACHER")) {
    const orgs = await serverGet(emulator, user.token, "/api/management/v1/organizations");
    for (const org of orgs.results) {
      const path = `/api/management/v1/classes?tenantOrganizationUuid=${org.uuid}`;
      const classes = (await serverGet(emulator, user.token, path)).results ?? [];
      for (const klass of classes) {
        const devices = klass.students.filter((s) => s.deviceUuid).length;
        const size = klass.caseGroupUuid ? Math.max(devices, 1) : devices;
        if (!best || size > best.size) best = { user, name: klass.name, uuid: klass.uuid, size };
      }
    }
  }
  return best;
}

/** The class's lesson once it ended and an iPad applied that, with no lock left applied. */
async function liftedOnServer(emulator, classUuid) {
  const lessons = await (await fetch(`${emulator.url}/sim/lessons`)).json();
  const lesson = lessons.find((l) => l.classUuid === classUuid);
  if (!lesson || lesson.state !== "ENDED") return false;
  const applied = lesson.devices.filter((d) => d.appliedRevision === d.revision);
  const locked = lesson.devices.filter((d) => d.applied?.screenLock);
  return applied.length > 0 && locked.every((d) => d.appliedRevision !== d.revision) && lesson;
}

async function tileAcks(browser) {
  const tiles = await browser.$$('[data-testid="lesson-tile"]');
  const acks = [];
  for (const tile of tiles) acks.push(await tile.getAttribute("data-ack"));
  return acks;
}

describe("the teacher console in the window", { concurrency: false }, () => {
  let emulator;
  before(async () => {
    emulator = await startEmulator(["--seed", "23", "--schools", "2", "--devices", "150"]);
  });
  after(() => emulator?.stop());

  test("a teacher starts a lesson, locks the class, sees it acknowledged and ends it", async () => {
    const chosen = await teacherWithClass(emulator);
    assert.ok(chosen, "the seeded district has a teacher with a class of devices");
    const app = await openApp();
    try {
      const { browser } = app;
      await byTestId(browser, "signin-server").waitForDisplayed(timeout);
      await byTestId(browser, "signin-server").setValue(emulator.url);
      await byTestId(browser, "signin-token").setValue(chosen.user.token);
      await byTestId(browser, "signin-submit").click();

      await byTestId(browser, "teacher-console").waitForDisplayed(timeout);
      const item = browser.$(`[data-testid="class-item"][data-name="${chosen.name}"]`);
      await item.waitForDisplayed({ ...timeout, timeoutMsg: `class ${chosen.name} never listed` });
      assert.equal(
        await byTestId(browser, "tab-inventory").isExisting(),
        false,
        "a teacher's window has no inventory with its device-wide actions",
      );
      await item.click();
      await browser.waitUntil(
        async () => (await browser.$$('[data-testid="lesson-tile"]')).length > 0,
        { ...timeout, timeoutMsg: "the class view never showed its tiles" },
      );
      await screenshot(browser, "20-teacher-class");

      await byTestId(browser, "lesson-start").click();
      await byTestId(browser, "lesson-running").waitForDisplayed(timeout);
      assert.match(await byTestId(browser, "lesson-countdown").getText(), /^4[45]:\d\d$/);
      await byTestId(browser, "lock-message").setValue("Augen nach vorn");
      await byTestId(browser, "lesson-lock").click();
      await byTestId(browser, "lesson-result").waitForDisplayed(timeout);
      await screenshot(browser, "21-teacher-locked-pending");

      // Online iPads check in within about a second of a command; offline ones keep waiting.
      await browser.waitUntil(
        async () => {
          const acks = await tileAcks(browser);
          return acks.includes("acknowledged") && !acks.includes("pending");
        },
        { ...timeout, timeoutMsg: "the tiles never showed the acknowledgements" },
      );
      const locked = await browser.$$('[data-testid="lesson-tile"][data-locked="true"]');
      assert.ok(locked.length > 0, "the acknowledged tiles show the lock");
      await screenshot(browser, "22-teacher-acknowledged");
      await byTestId(browser, "projector-toggle").click();
      await screenshot(browser, "23-teacher-projector");
      await byTestId(browser, "projector-toggle").click();

      // Into one app: Apple allows it on supervised iPads only; the others are named as skipped.
      const unsupervised = await byTestId(browser, "app-lock-unsupervised").isExisting();
      await byTestId(browser, "lesson-app-lock").click();
      await browser.waitUntil(
        async () => (await browser.$$('[data-testid="tile-app-lock"]')).length > 0,
        { ...timeout, timeoutMsg: "no tile shows the app lock" },
      );
      assert.equal(
        await byTestId(browser, "lesson-result-skipped").isExisting(),
        unsupervised,
        "the unsupervised iPads, and only they, are listed as skipped",
      );
      await screenshot(browser, "23b-teacher-app-lock");
      await byTestId(browser, "lesson-app-release").click();
      await browser.waitUntil(
        async () => (await browser.$$('[data-testid="tile-app-lock"]')).length === 0,
        { ...timeout, timeoutMsg: "the app lock stays on the tiles after the release" },
      );

      await byTestId(browser, "lesson-end").click();
      await byTestId(browser, "confirm-button").waitForDisplayed(timeout);
      await screenshot(browser, "24-teacher-end-confirmation");
      await byTestId(browser, "confirm-button").click();
      await byTestId(browser, "lesson-ended").waitForDisplayed(timeout);
      await browser.waitUntil(
        async () => (await browser.$$('[data-testid="tile-locked"]')).length === 0,
        { ...timeout, timeoutMsg: "the tiles still show the lock after the end" },
      );
      await browser.waitUntil(
        async () => {
          const acks = await tileAcks(browser);
          return acks.includes("acknowledged") && !acks.includes("pending");
        },
        { ...timeout, timeoutMsg: "the tiles never showed the end acknowledged" },
      );
      await screenshot(browser, "25-teacher-ended");

      const lesson = await browser.waitUntil(() => liftedOnServer(emulator, chosen.uuid), {
        ...timeout,
        timeoutMsg: "no iPad applied the end of the lesson on the server",
      });
      assert.equal(lesson.state, "ENDED", "ending in the window ends the lesson on the server");
      assert.equal(lesson.endReason, "ENDED_BY_TEACHER");
    } catch (error) {
      await screenshot(app.browser, "29-teacher-failure").catch(() => {});
      throw error;
    } finally {
      await app.close();
    }
  });
});
