import { afterEach, describe, expect, it } from "vitest";

import { i18n } from "../src/lib/i18n/i18n.svelte";
import {
  changedValues,
  copySummary,
  formatWindow,
  formatWindows,
  valueText,
  versionText,
  type CopyPlan,
} from "../src/lib/policies";

const lessonHours = [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: "08:00", end: "13:00" }));

function plan(changes: Partial<CopyPlan> = {}): CopyPlan {
  return {
    template: {
      name: "Unterricht",
      version: 4,
      published: true,
      publishedVersion: 4,
      timeWindows: lessonHours,
    },
    copy: { version: 2, published: true, publishedVersion: 2, timeWindows: lessonHours },
    added: [],
    removed: [],
    changed: [],
    unchanged: 0,
    timeWindowsChanged: false,
    ...changes,
  };
}

describe("time windows", () => {
  afterEach(() => {
    i18n.language = "de";
  });

  it("writes one window as German weekday and hours", () => {
    expect(formatWindow({ weekday: 1, start: "08:00", end: "13:00" })).toBe("Mo 08:00–13:00");
    expect(formatWindow({ weekday: 7, start: "10:00", end: "11:30" })).toBe("So 10:00–11:30");
  });

  it("joins three or more days in a row with the same hours into one span", () => {
    expect(formatWindows(lessonHours)).toEqual(["Mo–Fr 08:00–13:00"]);
  });

  it("keeps days apart that are not in a row or have other hours, sorted by weekday", () => {
    const windows = [
      { weekday: 5, start: "08:00", end: "11:00" },
      { weekday: 3, start: "08:00", end: "13:00" },
      { weekday: 1, start: "08:00", end: "13:00" },
    ];

    expect(formatWindows(windows)).toEqual(["Mo 08:00–13:00", "Mi 08:00–13:00", "Fr 08:00–11:00"]);
  });

  it("follows the window's language", () => {
    i18n.language = "en";

    expect(formatWindows(lessonHours)).toEqual(["Mon–Fri 08:00–13:00"]);
  });
});

describe("versions", () => {
  it("names the version in effect while the newest is not published", () => {
    expect(versionText({ version: 5, published: false, publishedVersion: 4 })).toBe(
      "Version 5 · nicht veröffentlicht (gültig ist Version 4)",
    );
    expect(versionText({ version: 1, published: false, publishedVersion: null })).toBe(
      "Version 1 · nicht veröffentlicht (noch keine Version gültig)",
    );
    expect(versionText({ version: 3, published: true, publishedVersion: 3 })).toBe(
      "Version 3 · veröffentlicht",
    );
  });
});

describe("configuration values", () => {
  it("writes flags as yes and no, lists with commas and list modes in words", () => {
    expect(valueText("true")).toBe("Ja");
    expect(valueText(null)).toBe("—");
    expect(valueText('["com.apple.Pages","com.apple.Keynote"]')).toBe(
      "com.apple.Pages, com.apple.Keynote",
    );
    expect(valueText("WHITELIST")).toBe("nur gelistete Apps erlaubt");
  });

  it("writes a change from the school's value to the template's, and a list by its entries", () => {
    const change = {
      kind: "RESTRICTIONS",
      name: "Standard",
      values: [
        { key: "allowCamera", template: "false", copy: "true", onlyInTemplate: [], onlyInCopy: [] },
        {
          key: "apps",
          template: '["a","b"]',
          copy: '["a","c"]',
          onlyInTemplate: ["b"],
          onlyInCopy: ["c"],
        },
      ],
    };

    expect(changedValues(change)).toEqual([
      "Kamera erlaubt: Ja → Nein",
      "Apps der Liste: + b; − c",
    ]);
  });
});

describe("the copy's summary", () => {
  it("says which version it creates, unpublished, and which stays in effect", () => {
    const summary = copySummary(plan({ unchanged: 2 }), "Grundschule Süd");

    expect(summary.headline).toBe(
      "In Grundschule Süd entsteht Version 3 von „Unterricht“ mit den Konfigurationen der " +
        "Vorlage, nicht veröffentlicht.",
    );
    expect(summary.inEffect).toContain("gilt weiter Version 2");
    expect(summary.unchanged).toBe("Unverändert: 2 Konfigurationen.");
  });

  it("lists each configuration added, removed and changed", () => {
    const summary = copySummary(
      plan({
        added: [{ kind: "WIFI", name: "Schul-WLAN", values: [] }],
        removed: [{ kind: "WEB_CLIP", name: "Plan", values: [] }],
        changed: [
          {
            kind: "RESTRICTIONS",
            name: "Standard",
            values: [
              {
                key: "allowCamera",
                template: "false",
                copy: "true",
                onlyInTemplate: [],
                onlyInCopy: [],
              },
            ],
          },
        ],
      }),
      "Grundschule Süd",
    );

    expect(summary.lines).toEqual([
      { key: "added", label: "Kommt hinzu:", items: ["WLAN „Schul-WLAN“"] },
      { key: "removed", label: "Fällt weg:", items: ["Web-Clip „Plan“"] },
      {
        key: "changed",
        label: "Ändert sich (Schule → Vorlage):",
        items: ["Einschränkungen „Standard“: Kamera erlaubt: Ja → Nein"],
      },
    ]);
  });

  it("says how the time windows change when they differ", () => {
    const copy = { version: 2, published: true, publishedVersion: 2, timeWindows: [] };

    const summary = copySummary(plan({ copy, timeWindowsChanged: true }), "Grundschule Süd");

    expect(summary.lines).toEqual([
      { key: "windows", label: "Zeitfenster:", items: ["immer → Mo–Fr 08:00–13:00"] },
    ]);
  });

  it("announces a new policy at version 1 where the school has no copy", () => {
    const summary = copySummary(plan({ copy: null }), "Grundschule Süd");

    expect(summary.headline).toContain("neue Richtlinie „Unterricht“ in Version 1");
    expect(summary.inEffect).toBe(
      "Auf den Geräten ändert sich nichts, bis jemand die neue Version in der Schule " +
        "veröffentlicht.",
    );
  });
});
