import { screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { emptyQuery } from "../src/lib/query";
import { defaultSettings } from "../src/lib/session.svelte";
import { openApp, rowsShown } from "./app-harness";
import { appState, ORGS, PROD, requests } from "./fake-shell";

vi.mock("../src/lib/api", () => ({ call: vi.fn(), onSyncEvent: vi.fn(), onLedgerEvent: vi.fn() }));

/** The last page request: what the table shows now (the count query has limit 0). */
function lastPageQuery(call: Parameters<typeof requests>[0]) {
  return requests(call, "query_devices")
    .filter((query) => query.limit !== 0)
    .at(-1);
}

describe("the inventory's filters", () => {
  it("searches for the typed text after a short pause, not for every keystroke", async () => {
    const { call } = await openApp();
    await rowsShown();
    const before = requests(call, "query_devices").length;

    await userEvent.type(screen.getByTestId("search"), "DMPX0001");
    const rightAfterTyping = requests(call, "query_devices").length;

    expect(rightAfterTyping, "no query while the user is still typing").toBe(before);
    await waitFor(() => expect(lastPageQuery(call)?.search).toBe("DMPX0001"));
    const searches = requests(call, "query_devices").map((query) => query.search);
    expect(searches.filter((search) => search !== null && search !== "DMPX0001")).toEqual([]);
  });

  it("narrows the query by every filter the user sets", async () => {
    const { call } = await openApp();
    await rowsShown();

    await userEvent.selectOptions(screen.getByTestId("filter-org"), "org-sued");
    await userEvent.selectOptions(screen.getByTestId("filter-os"), "17");
    await userEvent.selectOptions(screen.getByTestId("filter-supervised"), "yes");
    await userEvent.selectOptions(screen.getByTestId("filter-compliance"), "NON_COMPLIANT");
    await userEvent.type(screen.getByTestId("filter-not-seen"), "30");
    await userEvent.type(screen.getByTestId("filter-battery"), "20");

    await waitFor(() =>
      expect(lastPageQuery(call)).toMatchObject({
        organisations: ["org-sued"],
        osVersion: "17",
        supervised: true,
        compliance: "NON_COMPLIANT",
        notSeenForDays: 30,
        batteryBelowPercent: 20,
      }),
    );
  });

  it("saves filters, sort order and columns in the settings", async () => {
    const { call } = await openApp();
    await rowsShown();

    await userEvent.selectOptions(screen.getByTestId("filter-compliance"), "UNKNOWN");
    await userEvent.click(screen.getByTestId("sort-battery"));
    await userEvent.click(screen.getByTestId("column-chooser"));
    await userEvent.click(screen.getByTestId("column-compliance"));

    await waitFor(() => {
      const saved = requests(call, "save_settings").at(-1);
      expect(saved?.inventory).toMatchObject({ compliance: "UNKNOWN", sort: "battery" });
      expect(saved?.columns.at(-1)).toBe("compliance");
    });
  });

  it("restores the saved filters and sort order on start", async () => {
    const settings = {
      ...defaultSettings(),
      inventory: { ...emptyQuery(), compliance: "NON_COMPLIANT", sort: "lastContact" as const },
      columns: ["serial", "name"],
    };

    const { call } = await openApp({}, appState({ settings }));
    await rowsShown();

    expect(lastPageQuery(call)).toMatchObject({ compliance: "NON_COMPLIANT", sort: "lastContact" });
    expect(screen.getByTestId("filter-compliance")).toHaveValue("NON_COMPLIANT");
    const headers = screen
      .getAllByRole("columnheader")
      .filter((header) => header.querySelector("[data-testid='select-all']") === null)
      .map((header) => header.textContent?.trim());
    expect(headers, "the saved column order, after the selection's checkboxes").toEqual([
      "Seriennummer",
      "Name",
    ]);
  });

  it("shows only the organisations in scope, unless one is chosen in the filter", async () => {
    const settings = { ...defaultSettings(), organisations: [ORGS[0].uuid] };
    const { call } = await openApp({}, appState({ settings, activeProfileId: PROD.id }));
    await rowsShown();
    expect(lastPageQuery(call)?.organisations).toEqual([ORGS[0].uuid]);

    await userEvent.click(screen.getByTestId("scope-chooser"));
    await userEvent.click(screen.getAllByTestId("scope-org")[1]);

    await waitFor(() =>
      expect(lastPageQuery(call)?.organisations).toEqual([ORGS[0].uuid, ORGS[1].uuid]),
    );
    await waitFor(() =>
      expect(requests(call, "save_settings").at(-1)?.organisations).toEqual([
        ORGS[0].uuid,
        ORGS[1].uuid,
      ]),
    );
  });

  it("ignores organisations this profile's cache does not know (another server's)", async () => {
    const settings = {
      ...defaultSettings(),
      organisations: ["org-of-the-qm-server"],
      inventory: { ...emptyQuery(), organisations: ["another-org"] },
    };
    const { call } = await openApp({}, appState({ settings }));

    await rowsShown();

    await waitFor(() => expect(lastPageQuery(call)?.organisations).toEqual([]));
    expect(screen.getByTestId("device-count")).toHaveTextContent("50.000 Geräte");
  });

  it("resets every filter but keeps the sort order", async () => {
    const settings = {
      ...defaultSettings(),
      inventory: { ...emptyQuery(), supervised: false, sort: "model" as const },
    };
    const { call } = await openApp({}, appState({ settings }));
    await rowsShown();

    await userEvent.click(screen.getByTestId("filter-reset"));

    await waitFor(() =>
      expect(lastPageQuery(call)).toMatchObject({ supervised: null, sort: "model" }),
    );
  });
});
