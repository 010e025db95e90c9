import { screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import de from "../src/lib/i18n/de.json";
import en from "../src/lib/i18n/en.json";
import { i18n, t } from "../src/lib/i18n/i18n.svelte";
import { defaultSettings } from "../src/lib/session.svelte";
import { openApp, rowsShown } from "./app-harness";
import { appState, requests } from "./fake-shell";

vi.mock("../src/lib/api", () => ({ call: vi.fn(), onSyncEvent: vi.fn(), onLedgerEvent: vi.fn() }));

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe("translations", () => {
  it("de.json and en.json have exactly the same keys", () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(de).sort());
  });

  it("every English text has the same placeholders as the German one", () => {
    for (const [key, german] of Object.entries(de)) {
      const english = (en as Record<string, string>)[key];
      expect(placeholders(english), `placeholders of ${key}`).toEqual(placeholders(german));
    }
  });

  it("every key the code names literally has a text", () => {
    const sources = import.meta.glob("../src/**/*.{svelte,ts}", {
      query: "?raw",
      import: "default",
      eager: true,
    }) as Record<string, string>;
    const named = Object.values(sources).flatMap((source) =>
      [...source.matchAll(/\bt\(\s*"([\w.]+)"/g)].map((match) => match[1]),
    );

    expect(named.length, "the scan finds the calls").toBeGreaterThan(100);
    expect(named.filter((key) => !(key in de))).toEqual([]);
  });

  it("has a text for every action kind and ledger state the shell can send", () => {
    const kinds = ["DEVICE_LOCK", "ENABLE_LOST_MODE", "DISABLE_LOST_MODE", "PLAY_LOST_MODE_SOUND"]
      .concat(["DEVICE_LOCATION", "RESTART_DEVICE", "SHUT_DOWN_DEVICE", "CLEAR_PASSCODE"])
      .concat(["ERASE_DEVICE", "INSTALL_APP", "REMOVE_APP"]);
    const states = ["OUTBOX", "QUEUED", "SENT", "ACKNOWLEDGED", "ERROR", "NOT_NOW"].concat([
      "CANCELLED",
      "REJECTED",
    ]);

    const missing = [
      ...kinds.flatMap((kind) => [
        `kind.${kind}`,
        `action.button.${kind}`,
        `dialog.effect.${kind}`,
      ]),
      ...states.map((state) => `state.${state}`),
    ].filter((key) => !(key in de) || !(key in en));

    expect(missing).toEqual([]);
  });

  it("no text is empty", () => {
    for (const [key, text] of [...Object.entries(de), ...Object.entries(en)]) {
      expect(text.trim(), key).not.toBe("");
    }
  });

  it("fills in parameters by name", () => {
    i18n.language = "de";

    expect(t("inventory.countFiltered", { shown: "3", total: "50.000" })).toBe(
      "3 von 50.000 Geräten",
    );
  });
});

describe("the window's language", () => {
  it("is German by default", async () => {
    await openApp();

    expect(screen.getByTestId("tab-inventory")).toHaveTextContent("Inventar");
    expect(screen.getByTestId("sync-button")).toHaveTextContent("Jetzt synchronisieren");
    expect(document.documentElement.lang).toBe("de");
  });

  it("switches to English, everywhere at once, and saves the choice", async () => {
    const { call } = await openApp();
    await rowsShown();

    await userEvent.selectOptions(screen.getByTestId("language-select"), "en");

    expect(screen.getByTestId("tab-inventory")).toHaveTextContent("Inventory");
    expect(screen.getByTestId("sync-button")).toHaveTextContent("Sync now");
    expect(screen.getByTestId("device-count")).toHaveTextContent("50,000 devices");
    expect(document.documentElement.lang).toBe("en");
    await waitFor(() => expect(requests(call, "save_settings").at(-1)?.language).toBe("en"));
  });

  it("opens in the language saved last time", async () => {
    const settings = { ...defaultSettings(), language: "en" };

    await openApp({}, appState({ settings }));

    expect(screen.getByTestId("tab-overview")).toHaveTextContent("Overview");
  });

  it("turns on the large high-contrast display and saves it", async () => {
    const { call } = await openApp();

    await userEvent.click(screen.getByTestId("high-contrast"));

    expect(document.documentElement).toHaveClass("high-contrast");
    await waitFor(() => expect(requests(call, "save_settings").at(-1)?.highContrast).toBe(true));
  });
});
