import { screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import type { ChartConfiguration } from "chart.js";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { openApp, rowsShown } from "./app-harness";
import { appState, PROD, QM, requests } from "./fake-shell";
import { district } from "./fake-policies";

vi.mock("../src/lib/api", () => ({ call: vi.fn(), onSyncEvent: vi.fn(), onLedgerEvent: vi.fn() }));

/** Charts drawn, by their canvas; the fake stands in for Chart.js, which needs a real canvas. */
const drawn = vi.hoisted(() => new Map<HTMLCanvasElement, ChartConfiguration>());

vi.mock("../src/lib/charts", async (importOriginal) => {
  const original = await importOriginal<typeof import("../src/lib/charts")>();
  class FakeChart {
    constructor(context: { canvas: HTMLCanvasElement }, config: ChartConfiguration) {
      drawn.set(context.canvas, config);
    }
    destroy() {}
  }
  return { ...original, Chart: FakeChart };
});

const districtUser = () => appState({ profiles: [{ ...PROD, role: "DISTRICT_ADMIN" }, QM] });

async function openDistrict() {
  const app = await openApp({ district: () => district() }, districtUser());
  await userEvent.click(screen.getByTestId("tab-district"));
  await screen.findByTestId("district-table");
  return app;
}

function school(name: string) {
  return screen.getAllByTestId("district-school").find((row) => row.dataset.org === name)!;
}

function lastPageQuery(call: Parameters<typeof requests>[0]) {
  return requests(call, "query_devices")
    .filter((query) => query.limit !== 0)
    .at(-1);
}

describe("the district view", () => {
  beforeEach(() => {
    drawn.clear();
    HTMLCanvasElement.prototype.getContext = function (this: HTMLCanvasElement) {
      return { canvas: this };
    } as unknown as typeof HTMLCanvasElement.prototype.getContext;
  });

  afterEach(() => {
    HTMLCanvasElement.prototype.getContext = (() =>
      null) as typeof HTMLCanvasElement.prototype.getContext;
  });

  it("sets every school side by side: devices, compliance, OS versions, licences, silence", async () => {
    await openDistrict();

    const nord = school("Gesamtschule Nord");
    const cells = within(nord).getAllByRole("cell");
    expect(cells[0]).toHaveTextContent("25.000");
    expect(cells[1]).toHaveTextContent("80 %");
    expect(cells[1]).toHaveTextContent("20.000 von 25.000");
    expect(cells[2]).toHaveTextContent("16.7 (16.666)");
    expect(cells[3]).toHaveTextContent("1.200 / 1.500");
    expect(cells[4]).toHaveTextContent("6.250");
    expect(screen.getByTestId("district-view")).toHaveTextContent("85 %");
  });

  it("opens the inventory filtered to a school when its name is clicked", async () => {
    const { call } = await openDistrict();

    await userEvent.click(within(school("Grundschule Süd")).getByTestId("district-open"));

    await rowsShown();
    expect(screen.getByTestId("tab-inventory")).toHaveAttribute("aria-selected", "true");
    await waitFor(() => expect(lastPageQuery(call)?.organisations).toEqual(["org-sued"]));
  });

  it("opens a school's devices not seen for 30 days from their count", async () => {
    const { call } = await openDistrict();

    await userEvent.click(within(school("Gesamtschule Nord")).getByTestId("district-not-seen"));

    await waitFor(() =>
      expect(lastPageQuery(call)).toMatchObject({
        organisations: ["org-nord"],
        notSeenForDays: 30,
        compliance: null,
      }),
    );
  });

  it("opens the inventory filtered to a bar's school when the bar is clicked", async () => {
    const { call } = await openDistrict();
    const canvas = screen.getByTestId("district-chart-non-compliant").querySelector("canvas")!;
    const chart = drawn.get(canvas)!;
    expect(chart.data.labels, "most non-compliant first").toEqual([
      "Gesamtschule Nord",
      "Grundschule Süd",
    ]);

    const onClick = chart.options?.onClick as (event: unknown, hits: { index: number }[]) => void;
    onClick({}, [{ index: 1 }]);

    await waitFor(() =>
      expect(lastPageQuery(call)).toMatchObject({
        organisations: ["org-sued"],
        compliance: "NON_COMPLIANT",
      }),
    );
  });

  it("sorts the schools by a column, and back", async () => {
    await openDistrict();

    await userEvent.click(screen.getByTestId("district-sort-compliance"));
    const names = () => screen.getAllByTestId("district-school").map((row) => row.dataset.org);

    expect(names(), "highest rate first").toEqual(["Grundschule Süd", "Gesamtschule Nord"]);
    await userEvent.click(screen.getByTestId("district-sort-compliance"));
    expect(names()).toEqual(["Gesamtschule Nord", "Grundschule Süd"]);
  });

  it("exports the schools as a file, saying it holds no user names", async () => {
    const { call } = await openDistrict();

    await userEvent.click(screen.getByTestId("district-export"));
    const dialog = await screen.findByTestId("export-dialog");
    expect(dialog).toHaveTextContent("eine Zeile für die 2 Schulen");
    expect(dialog).toHaveTextContent("Benutzernamen enthält sie nicht");
    expect(within(dialog).queryByTestId("export-leave-out-names")).toBeNull();
    await userEvent.click(within(dialog).getByTestId("export-csv"));
    await userEvent.click(within(dialog).getByTestId("export-save"));

    await within(dialog).findByTestId("export-outcome");
    expect(requests(call, "export_report")).toEqual([
      expect.objectContaining({
        report: "district",
        format: "csv",
        includeUserNames: false,
        onlyNonCompliant: false,
      }),
    ]);
  });
});
