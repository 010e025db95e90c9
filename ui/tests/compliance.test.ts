import { screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { openApp, rowsShown } from "./app-harness";
import {
  fakeCompliance,
  KEYNOTE,
  TIKTOK,
  complianceHandlers,
  type FakeCompliance,
} from "./compliance-fake";
import { device, fakeActions, requests } from "./fake-shell";

vi.mock("../src/lib/api", () => ({ call: vi.fn(), onSyncEvent: vi.fn(), onLedgerEvent: vi.fn() }));

async function openCompliance(world: FakeCompliance = fakeCompliance(), actions = fakeActions()) {
  const app = await openApp(complianceHandlers(world, actions), undefined, actions);
  await userEvent.click(screen.getByTestId("tab-compliance"));
  const rows = await screen.findAllByTestId("compliance-row");
  return { ...app, rows, world, actions };
}

function rowOf(index: number): HTMLElement {
  const row = screen
    .getAllByTestId("compliance-row")
    .find((candidate) => candidate.dataset.serial === device(index).serial);
  expect(row, `device ${index} is listed`).toBeDefined();
  return row!;
}

async function selectRows(...indices: number[]) {
  for (const index of indices) {
    await userEvent.click(within(rowOf(index)).getByTestId("compliance-select"));
  }
}

describe("the compliance view", () => {
  it("lists each device with Koffer's verdict, its reasons and the server's state", async () => {
    await openCompliance();

    const row = rowOf(35);

    expect(row.dataset.koffer).toBe("nonCompliant");
    expect(within(row).getByTestId("koffer-verdict")).toHaveTextContent("Verletzt");
    const reasons = within(row).getAllByTestId("reason");
    expect(reasons.map((reason) => reason.textContent)).toEqual([
      expect.stringContaining("Fehlt: Keynote"),
      expect.stringContaining("Verboten: TikTok"),
    ]);
    expect(within(row).getByTestId("server-state")).toHaveTextContent("Verletzt");
    expect(within(rowOf(1)).getByTestId("koffer-verdict")).toHaveTextContent("Erfüllt");
    expect(screen.getByTestId("count-total")).toHaveTextContent("40");
    expect(screen.getByTestId("count-non-compliant")).toHaveTextContent("12");
  });

  it("marks where the server's state and Koffer's verdict disagree", async () => {
    await openCompliance();

    const differing = rowOf(7);

    expect(differing.dataset.disagrees, "TikTok is installed, the server said compliant").toBe(
      "true",
    );
    expect(within(differing).getByTestId("disagreement")).toHaveTextContent("weicht ab");
    expect(within(differing).getByTestId("server-state")).toHaveTextContent("Erfüllt");
    expect(within(rowOf(5)).queryByTestId("disagreement"), "both say non-compliant").toBeNull();
    expect(screen.getByTestId("count-disagreements")).toHaveTextContent("4");
  });

  it("filters like the inventory, and narrows to the non-compliant devices", async () => {
    const { call } = await openCompliance();

    await userEvent.selectOptions(screen.getByTestId("filter-org"), "org-nord");
    await userEvent.click(screen.getByTestId("only-non-compliant"));

    await waitFor(() => {
      const last = requests(call, "compliance").at(-1)!;
      expect(last.query.organisations).toEqual(["org-nord"]);
      expect(last.onlyNonCompliant).toBe(true);
    });
    await waitFor(() =>
      expect(
        screen
          .getAllByTestId("compliance-row")
          .every((row) => row.dataset.koffer === "nonCompliant"),
      ).toBe(true),
    );
    expect(screen.getAllByTestId("compliance-row")).toHaveLength(6);
  });

  it("opens a device's detail with its reasons and the policies applied", async () => {
    await openCompliance();

    await userEvent.click(within(rowOf(35)).getByTestId("compliance-open"));

    const section = await screen.findByTestId("detail-compliance");
    await within(section).findByTestId("detail-koffer-verdict");
    expect(within(section).getAllByTestId("detail-reason")).toHaveLength(2);
    const policy = within(section).getByTestId("detail-policy-applied");
    expect(policy).toHaveTextContent("Unterricht");
    expect(policy).toHaveTextContent("Version 3");
    expect(policy).toHaveTextContent("gilt jetzt");
    expect(policy).toHaveTextContent("Verboten: TikTok");
    expect(policy).toHaveTextContent("Pflicht-Apps: Keynote");
    expect(policy, "the days in German, joined").toHaveTextContent("Zeiten: Mo–Fr 07:30–13:15");
  });
});

describe("installing a missing app", () => {
  it("shows per organisation the licences left and who will get the app, then queues it", async () => {
    const { call, actions } = await openCompliance();
    // 5, 15, 25 are of Grundschule Süd (no licence left), 10, 30 of Gesamtschule Nord (2 left).
    await selectRows(5, 10, 15, 25, 30);

    await userEvent.click(screen.getByTestId("bulk-install"));

    const dialog = await screen.findByTestId("remediation-dialog");
    const orgs = await within(dialog).findAllByTestId("remedy-org");
    const nord = orgs.find((row) => row.dataset.org === "org-nord")!;
    const sued = orgs.find((row) => row.dataset.org === "org-sued")!;
    expect(within(nord).getByTestId("remedy-left")).toHaveTextContent("2");
    expect(within(nord).getByTestId("remedy-will-get")).toHaveTextContent("2");
    expect(within(sued).getByTestId("remedy-left")).toHaveTextContent("0");
    expect(within(sued).getByTestId("remedy-will-not")).toHaveTextContent("3");
    expect(within(dialog).getByTestId("remedy-short")).toHaveTextContent(
      "Grundschule Süd: Für Keynote ist keine Lizenz mehr frei; 3 Geräte erhalten die App nicht.",
    );
    expect(within(dialog).getByTestId("bulk-preview-blocked")).toHaveTextContent("Blockiert: 3");
    const confirm = within(dialog).getByTestId("remedy-confirm");
    expect(confirm).toHaveTextContent("Auf 2 Geräten installieren");

    await userEvent.click(confirm);

    await within(dialog).findByTestId("remedy-progress");
    expect(requests(call, "request_remediation")).toEqual([
      {
        deviceUuids: [5, 10, 15, 25, 30].map((i) => device(i).uuid),
        query: null,
        bundleId: KEYNOTE.bundleId,
        kind: "install",
      },
    ]);
    expect(actions.ledger.map((entry) => entry.kind)).toEqual(["INSTALL_APP", "INSTALL_APP"]);
    expect(within(dialog).getByTestId("remedy-progress")).toHaveTextContent(
      "0 von 2 erledigt · 2 ausstehend",
    );
    expect(within(dialog).getByTestId("action-outcome")).toHaveAttribute("data-outcome", "partial");
  });

  it("refuses with the count when no licence is left, before anything is sent", async () => {
    const world = fakeCompliance({ licencesLeft: {} });
    const { call } = await openCompliance(world);
    await selectRows(10, 30);

    await userEvent.click(screen.getByTestId("bulk-install"));

    const dialog = await screen.findByTestId("remediation-dialog");
    const blocked = await within(dialog).findByTestId("remedy-blocked");
    expect(blocked).toHaveTextContent("keine Lizenz mehr frei, 2 Geräte erhalten die App nicht");
    expect(within(dialog).getByTestId("remedy-confirm")).toBeDisabled();
    expect(requests(call, "request_remediation")).toEqual([]);
  });

  it("says so when the app is not in the organisation's catalogue", async () => {
    const world = fakeCompliance({ catalogue: new Set() });
    await openCompliance(world);

    await userEvent.click(within(rowOf(10)).getByTestId("reason-install"));

    const dialog = await screen.findByTestId("remediation-dialog");
    expect(await within(dialog).findByTestId("remedy-not-in-catalogue")).toHaveTextContent(
      "nicht im App-Katalog",
    );
    expect(within(dialog).getByTestId("remedy-confirm")).toBeDisabled();
  });

  it("installs on one device from its detail", async () => {
    const { call } = await openCompliance();
    await userEvent.click(within(rowOf(10)).getByTestId("compliance-open"));
    const section = await screen.findByTestId("detail-compliance");

    await userEvent.click(await within(section).findByTestId("detail-install"));
    const dialog = await screen.findByTestId("remediation-dialog");
    const confirm = within(dialog).getByTestId("remedy-confirm");
    await waitFor(() => expect(confirm).toBeEnabled());
    await userEvent.click(confirm);

    await within(dialog).findByTestId("remedy-progress");
    expect(requests(call, "request_remediation")).toEqual([
      { deviceUuids: [device(10).uuid], query: null, bundleId: KEYNOTE.bundleId, kind: "install" },
    ]);
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByTestId("remediation-dialog")).toBeNull();
    expect(screen.getByTestId("device-detail"), "Escape closes the dialog only").toBeVisible();
  });

  it("installs on every non-compliant device of a case, as the shell finds them", async () => {
    const { call } = await openCompliance();
    await userEvent.selectOptions(screen.getByTestId("filter-group"), "g-1");

    await userEvent.click(await screen.findByTestId("remedy-group"));

    const dialog = await screen.findByTestId("remediation-dialog");
    await within(dialog).findByTestId("remedy-orgs");
    const [preview] = requests(call, "remediation_preview");
    expect(preview.deviceUuids, "the shell finds the devices").toEqual([]);
    expect(preview.query?.group).toBe("g-1");
    expect(within(dialog).getByRole("heading", { level: 2 })).toHaveTextContent(
      "Keynote auf 8 Geräten installieren",
    );
  });

  it("removes a forbidden app", async () => {
    const { call } = await openCompliance();

    await userEvent.click(within(rowOf(7)).getByTestId("reason-remove"));
    const dialog = await screen.findByTestId("remediation-dialog");
    const confirm = within(dialog).getByTestId("remedy-confirm");
    await waitFor(() => expect(confirm).toBeEnabled());
    await userEvent.click(confirm);

    await within(dialog).findByTestId("remedy-progress");
    expect(requests(call, "request_remediation")).toEqual([
      { deviceUuids: [device(7).uuid], query: null, bundleId: TIKTOK.bundleId, kind: "remove" },
    ]);
  });
});

describe("exporting the compliance report", () => {
  const blobs: Blob[] = [];

  beforeEach(() => {
    blobs.length = 0;
    URL.createObjectURL = vi.fn((blob: Blob) => (blobs.push(blob), `blob:koffer/${blobs.length}`));
    URL.revokeObjectURL = vi.fn();
  });

  afterEach(() => {
    Reflect.deleteProperty(URL, "createObjectURL");
    Reflect.deleteProperty(URL, "revokeObjectURL");
  });

  it("exports exactly what is filtered, as xlsx without user names by default", async () => {
    const world = fakeCompliance();
    await openCompliance(world);
    await userEvent.selectOptions(screen.getByTestId("filter-org"), "org-sued");
    await waitFor(() => expect(screen.getByTestId("count-total")).toHaveTextContent("20"));

    await userEvent.click(screen.getByTestId("compliance-export"));
    const dialog = await screen.findByTestId("export-dialog");
    expect(within(dialog).getByTestId("export-scope")).toHaveTextContent("genau die 20 Geräte");
    expect(within(dialog).getByTestId("export-leave-out-names")).toBeChecked();
    await userEvent.click(within(dialog).getByTestId("export-save"));

    const link = await within(dialog).findByTestId("export-download");
    expect(world.exports).toHaveLength(1);
    expect(world.exports[0]).toMatchObject({
      report: "compliance",
      format: "xlsx",
      onlyNonCompliant: false,
      includeUserNames: false,
      path: null,
    });
    expect(world.exports[0].query.organisations).toEqual(["org-sued"]);
    expect(link).toHaveAttribute("download", "koffer-compliance-2026-12-01.xlsx");
    expect(link.getAttribute("href")).toMatch(/^blob:koffer\//);
    expect(await blobs.at(-1)!.text()).toBe("PK-xlsx");
  });

  it("keeps the user names and writes CSV when asked", async () => {
    const world = fakeCompliance();
    await openCompliance(world);

    await userEvent.click(screen.getByTestId("compliance-export"));
    const dialog = await screen.findByTestId("export-dialog");
    await userEvent.click(within(dialog).getByTestId("export-csv"));
    await userEvent.click(within(dialog).getByTestId("export-leave-out-names"));
    await userEvent.click(within(dialog).getByTestId("export-save"));

    await within(dialog).findByTestId("export-download");
    expect(world.exports[0]).toMatchObject({ format: "csv", includeUserNames: true });
    expect(blobs.at(-1)!.type).toBe("text/csv");
  });
});

describe("the licences view", () => {
  it("shows device licences and a bar per app, full where none are left", async () => {
    await openApp(complianceHandlers(fakeCompliance(), fakeActions()));
    await rowsShown();

    await userEvent.click(screen.getByTestId("tab-licences"));

    const orgs = await screen.findAllByTestId("licence-org");
    expect(orgs).toHaveLength(2);
    const sued = orgs.find((org) => org.dataset.org === "org-sued")!;
    expect(sued).toHaveTextContent("Gerätelizenzen: 480 von 500 genutzt");
    const keynote = within(sued)
      .getAllByTestId("vpp-row")
      .find((row) => row.dataset.bundle === KEYNOTE.bundleId)!;
    const bar = within(keynote).getByTestId("licence-bar");
    expect(bar).toHaveAttribute("data-percent", "100");
    expect(bar).toHaveAttribute("data-level", "empty");
    expect(bar).toHaveAccessibleName("Keynote: 300 von 300 zugewiesen, 0 frei");
    const pages = within(sued)
      .getAllByTestId("vpp-row")
      .find((row) => row.dataset.bundle === "com.apple.Pages")!;
    expect(within(pages).getByTestId("licence-bar")).toHaveAttribute("data-percent", "25");
    expect(within(pages).getByTestId("vpp-pending")).toHaveTextContent("3 eingereiht");
    expect(within(sued).getByTestId("dep-row")).toHaveTextContent("Schul-iPads");
  });
});
