import { fireEvent, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { SELECT_PAGE } from "../src/lib/selection.svelte";
import { openApp, rowsShown } from "./app-harness";
import { device, fakeActions, findDevices, ledgerEntry, requests } from "./fake-shell";

vi.mock("../src/lib/api", () => ({ call: vi.fn(), onSyncEvent: vi.fn(), onLedgerEvent: vi.fn() }));

function rowCheckbox(index: number) {
  const row = screen
    .getAllByTestId("device-row")
    .find((candidate) => candidate.dataset.serial === device(index).serial)!;
  return within(row).getByTestId("select-row");
}

async function select(...indices: number[]) {
  for (const index of indices) await userEvent.click(rowCheckbox(index));
}

describe("selecting devices in the inventory", () => {
  it("selects rows by their checkbox, and the rows between with a shift-click", async () => {
    await openApp();
    await rowsShown();

    await userEvent.click(rowCheckbox(1));
    await fireEvent.click(rowCheckbox(4), { shiftKey: true });

    await waitFor(() =>
      expect(screen.getByTestId("bulk-count")).toHaveTextContent("4 Geräte ausgewählt"),
    );
    expect([1, 2, 3, 4].map((i) => (rowCheckbox(i) as HTMLInputElement).checked)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect((rowCheckbox(0) as HTMLInputElement).checked).toBe(false);
    expect(screen.queryByTestId("device-detail"), "a checkbox does not open the row").toBeNull();
  });

  it("selects all devices matching the query, fetched page by page", async () => {
    const { call } = await openApp();
    await rowsShown();
    await userEvent.selectOptions(screen.getByTestId("filter-compliance"), "NON_COMPLIANT");
    await waitFor(() => expect(screen.getByTestId("device-count")).toHaveTextContent("10.000"));

    await userEvent.click(screen.getByTestId("select-all"));

    await waitFor(() =>
      expect(screen.getByTestId("bulk-count")).toHaveTextContent("10.000 Geräte ausgewählt"),
    );
    const pages = requests(call, "query_devices").filter((query) => query.limit === SELECT_PAGE);
    expect(pages.map((page) => page.offset)).toEqual(
      Array.from({ length: 10 }, (_, i) => i * SELECT_PAGE),
    );
    expect(pages.every((page) => page.compliance === "NON_COMPLIANT")).toBe(true);
    expect(screen.getByTestId("select-all")).toBeChecked();
  });

  it("selects every device of the chosen case, whatever else the filters say", async () => {
    const { call } = await openApp({
      query_devices: (query) =>
        query.group !== null && query.limit === SELECT_PAGE
          ? { rows: [device(3), device(7)], total: 2 }
          : findDevices(query),
    });
    await rowsShown();
    await userEvent.selectOptions(screen.getByTestId("filter-group"), "g-1");

    await userEvent.click(await screen.findByTestId("select-group"));

    await waitFor(() =>
      expect(screen.getByTestId("bulk-count")).toHaveTextContent("2 Geräte ausgewählt"),
    );
    expect(screen.getByTestId("select-group")).toHaveTextContent(
      "Alle im Koffer „Koffer 5a“ auswählen",
    );
    const asked = requests(call, "query_devices").find((query) => query.limit === SELECT_PAGE);
    expect(asked).toMatchObject({ group: "g-1", search: null, compliance: null });
  });

  it("starts with nothing selected when the query changes", async () => {
    await openApp();
    await rowsShown();
    await select(1, 2);
    expect(screen.getByTestId("bulk-bar")).toBeInTheDocument();

    await userEvent.selectOptions(screen.getByTestId("filter-supervised"), "yes");

    await waitFor(() => expect(screen.queryByTestId("bulk-bar")).toBeNull());
  });
});

describe("a bulk action", () => {
  it("offers lock, restart, shut down and lost mode, but never an erase", async () => {
    await openApp();
    await rowsShown();

    await select(1);

    const bar = screen.getByTestId("bulk-bar");
    for (const id of ["bulk-lock", "bulk-restart", "bulk-shutdown", "bulk-lost-mode"]) {
      expect(within(bar).getByTestId(id)).toBeEnabled();
    }
    expect(within(bar).queryByText(/Löschen/)).toBeNull();
  });

  it("previews per device what will be queued and what is blocked, and why", async () => {
    await openApp();
    await rowsShown();
    await select(0, 1, 2, 3);

    await userEvent.click(screen.getByTestId("bulk-restart"));

    const dialog = await screen.findByTestId("action-dialog");
    const queue = await within(dialog).findByTestId("bulk-preview-queue");
    expect(queue).toHaveTextContent("Wird eingereiht: 3 Geräte");
    const blocked = within(dialog).getByTestId("bulk-preview-blocked");
    expect(blocked).toHaveTextContent("Blockiert: 1 Geräte");
    expect(blocked).toHaveTextContent(device(0).name);
    expect(blocked, "device 0 is not supervised").toHaveTextContent("nicht betreut");
    expect(within(dialog).getByTestId("action-confirm")).toHaveTextContent("(3 Geräte)");
  });

  it("shows the result per device, with refusals and the server's rejections", async () => {
    const actions = fakeActions({
      refuse: new Map([[device(2).uuid, "The device is no longer on the server."]]),
    });
    const { call } = await openApp({}, undefined, actions);
    await rowsShown();
    await select(0, 1, 2, 3);
    await userEvent.click(screen.getByTestId("bulk-lock"));
    const dialog = await screen.findByTestId("action-dialog");
    await within(dialog).findByTestId("bulk-preview-queue");

    await userEvent.click(within(dialog).getByTestId("action-confirm"));

    const outcome = await within(dialog).findByTestId("action-outcome");
    expect(outcome).toHaveAttribute("data-outcome", "partial");
    expect(outcome).toHaveTextContent("Für 3 von 4 Geräten eingereiht");
    const results = within(dialog).getAllByTestId("bulk-result-row");
    const byDevice = Object.fromEntries(results.map((row) => [row.dataset.uuid, row]));
    expect(byDevice[device(1).uuid]).toHaveAttribute("data-outcome", "queued");
    expect(byDevice[device(2).uuid]).toHaveAttribute("data-outcome", "rejected");
    expect(byDevice[device(2).uuid]).toHaveTextContent("no longer on the server");
    expect(byDevice[device(3).uuid]).toHaveAttribute("data-outcome", "queued");
    expect(requests(call, "request_action")[0].deviceUuids).toHaveLength(4);
  });

  it("tells which devices the preflight refused when the action was sent", async () => {
    const pending = ledgerEntry(3, { id: 7, kind: "DEVICE_LOCK", state: "QUEUED" });
    await openApp({}, undefined, fakeActions({ ledger: [pending] }));
    await rowsShown();
    await select(1, 3);
    await userEvent.click(screen.getByTestId("bulk-lock"));
    const dialog = await screen.findByTestId("action-dialog");
    await within(dialog).findByTestId("bulk-preview-blocked");

    await userEvent.click(within(dialog).getByTestId("action-confirm"));

    const rows = await within(dialog).findAllByTestId("bulk-result-row");
    const refused = rows.find((row) => row.dataset.uuid === device(3).uuid)!;
    expect(refused).toHaveAttribute("data-outcome", "refused");
    expect(refused).toHaveTextContent("Dieselbe Aktion wartet für dieses Gerät schon");
    const queued = rows.find((row) => row.dataset.uuid === device(1).uuid)!;
    expect(queued).toHaveAttribute("data-outcome", "queued");
  });
});
