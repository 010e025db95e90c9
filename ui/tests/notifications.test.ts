import { screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { LONG_PENDING_MS } from "../src/lib/notifications.svelte";
import { openApp } from "./app-harness";
import { ledgerEntry } from "./fake-shell";

vi.mock("../src/lib/api", () => ({ call: vi.fn(), onSyncEvent: vi.fn(), onLedgerEvent: vi.fn() }));

function ended(state: string, waitedMs: number, changes = {}) {
  const requestedAt = Date.now() - waitedMs;
  return ledgerEntry(3, { id: 30, state, requestedAt, deviceName: "GSN-Koffer-3-07", ...changes });
}

describe("the notifications of long-pending actions", () => {
  afterEach(() => {
    Reflect.deleteProperty(globalThis, "Notification");
  });

  it("shows a toast when an action that waited long is acknowledged, until dismissed", async () => {
    const { shell } = await openApp();

    shell.emitLedger([ended("ACKNOWLEDGED", LONG_PENDING_MS + 60_000)]);

    const toast = await screen.findByTestId("toast");
    expect(toast).toHaveTextContent("Sperre für GSN-Koffer-3-07 bestätigt");
    await userEvent.click(within(toast).getByTestId("toast-dismiss"));
    expect(screen.queryByTestId("toast")).toBeNull();
  });

  it("tells of a failure with the reason", async () => {
    const { shell } = await openApp();

    shell.emitLedger([ended("ERROR", 5 * 60_000, { kind: "DEVICE_LOCATION", errorCode: 12068 })]);

    const toast = await screen.findByTestId("toast");
    expect(toast).toHaveAttribute("data-kind", "failed");
    expect(toast).toHaveTextContent("Ortung für GSN-Koffer-3-07 fehlgeschlagen");
    expect(toast).toHaveTextContent("Standort des Geräts ist unbekannt");
  });

  it("stays quiet for an action answered within a minute, or one still on its way", async () => {
    const { shell } = await openApp();

    shell.emitLedger([ended("ACKNOWLEDGED", 10_000), ended("SENT", 10 * 60_000, { id: 31 })]);

    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(screen.queryByTestId("toast")).toBeNull();
  });

  it("tells of the same change only once", async () => {
    const { shell } = await openApp();
    const entry = ended("ACKNOWLEDGED", 2 * LONG_PENDING_MS);

    shell.emitLedger([entry]);
    shell.emitLedger([entry]);

    await screen.findByTestId("toast");
    expect(screen.getAllByTestId("toast")).toHaveLength(1);
  });

  it("opens the ledger at the action from the toast", async () => {
    const { shell } = await openApp();
    shell.emitLedger([ended("ACKNOWLEDGED", 2 * LONG_PENDING_MS)]);

    await userEvent.click(await screen.findByTestId("toast-show"));

    expect(screen.getByTestId("tab-ledger")).toHaveAttribute("aria-selected", "true");
    expect(screen.queryByTestId("toast")).toBeNull();
  });

  it("also notifies the system when the user allowed notifications", async () => {
    const shown = vi.fn();
    class FakeNotification {
      static permission = "granted";
      constructor(title: string, options: { body: string }) {
        shown(title, options.body);
      }
    }
    Object.defineProperty(globalThis, "Notification", {
      value: FakeNotification,
      configurable: true,
    });
    const { shell } = await openApp();

    shell.emitLedger([ended("ACKNOWLEDGED", 2 * LONG_PENDING_MS)]);

    await screen.findByTestId("toast");
    expect(shown).toHaveBeenCalledWith("Koffer", "Sperre für GSN-Koffer-3-07 bestätigt");
  });

  it("leaves the system alone when notifications were not allowed", async () => {
    const shown = vi.fn();
    class FakeNotification {
      static permission = "denied";
      constructor() {
        shown();
      }
    }
    Object.defineProperty(globalThis, "Notification", {
      value: FakeNotification,
      configurable: true,
    });
    const { shell } = await openApp();

    shell.emitLedger([ended("ACKNOWLEDGED", 2 * LONG_PENDING_MS)]);

    await screen.findByTestId("toast");
    await waitFor(() => expect(shown).not.toHaveBeenCalled());
  });
});
