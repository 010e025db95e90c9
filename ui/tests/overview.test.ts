import { screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import type { ChartConfiguration } from "chart.js";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { openApp, rowsShown } from "./app-harness";
import { requests } from "./fake-shell";

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

function chartOf(testid: string): ChartConfiguration {
  const canvas = screen.getByTestId(testid).querySelector("canvas")!;
  const config = drawn.get(canvas);
  expect(config, `${testid} is drawn`).toBeDefined();
  return config!;
}

/** Clicks the bar at `index` the way Chart.js reports a click on the canvas. */
function clickBar(config: ChartConfiguration, index: number) {
  const onClick = config.options?.onClick as (event: unknown, hits: { index: number }[]) => void;
  onClick({}, [{ index }]);
}

async function openOverview(overrides = {}) {
  const app = await openApp(overrides);
  await userEvent.click(screen.getByTestId("tab-overview"));
  await screen.findByTestId("chart-battery");
  return app;
}

function lastPageQuery(call: Parameters<typeof requests>[0]) {
  return requests(call, "query_devices")
    .filter((query) => query.limit !== 0)
    .at(-1);
}

describe("the overview", () => {
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

  it("counts over the organisation scope only", async () => {
    const { call } = await openOverview();

    expect(requests(call, "overview").at(-1)).toMatchObject({ organisations: [], search: null });
    expect(screen.getByTestId("overview")).toHaveTextContent("50.000");
  });

  it("opens the inventory filtered to a bar's bucket when the bar is clicked", async () => {
    const { call } = await openOverview();

    clickBar(chartOf("chart-battery"), 0);

    await rowsShown();
    expect(screen.getByTestId("tab-inventory")).toHaveAttribute("aria-selected", "true");
    await waitFor(() =>
      expect(lastPageQuery(call)).toMatchObject({
        batteryBelowPercent: 20,
        batteryAtLeastPercent: null,
        osVersion: null,
      }),
    );
  });

  it("clears the inventory's other filters so it lists exactly the devices the bar counted", async () => {
    const { call } = await openOverview();
    await userEvent.click(screen.getByTestId("tab-inventory"));
    await userEvent.selectOptions(screen.getByTestId("filter-supervised"), "no");
    await userEvent.click(screen.getByTestId("tab-overview"));
    await screen.findByTestId("chart-last-contact");

    clickBar(chartOf("chart-last-contact"), 1);

    await waitFor(() =>
      expect(lastPageQuery(call)).toMatchObject({
        supervised: null,
        notSeenForDays: 1,
        seenWithinDays: 7,
      }),
    );
    expect(screen.getByText("Kontakt in den letzten 7 Tagen")).toBeInTheDocument();
  });

  it("offers each bucket as a button below its chart, for the keyboard", async () => {
    const { call } = await openOverview();
    const os = screen.getByTestId("chart-os");

    await userEvent.click(within(os).getByRole("button", { name: /17\.5/ }));

    await waitFor(() => expect(lastPageQuery(call)).toMatchObject({ osVersion: "17.5" }));
    expect(screen.getByTestId("filter-os")).toHaveValue("17.5");
  });

  it("opens an organisation's devices from its count", async () => {
    const { call } = await openOverview();

    await userEvent.click(screen.getAllByTestId("overview-org")[1]);

    await waitFor(() => expect(lastPageQuery(call)?.organisations).toEqual(["Grundschule Süd"]));
  });

  it("translates the range labels the shell sends as keys", async () => {
    await openOverview();

    const lastContact = chartOf("chart-last-contact");
    expect(lastContact.data.labels).toEqual([
      "Heute",
      "1–7 Tage",
      "8–30 Tage",
      "Über 30 Tage oder nie",
    ]);
    expect(within(screen.getByTestId("chart-battery")).getByText("Unter 20 %")).toBeInTheDocument();
    expect(
      within(screen.getByTestId("chart-compliance")).getByText("Verletzt"),
    ).toBeInTheDocument();
  });

  it("describes each chart in words for screen readers", async () => {
    await openOverview();

    const picture = within(screen.getByTestId("chart-compliance")).getByRole("img");

    expect(picture).toHaveAccessibleName("Richtlinien: Erfüllt 40.000, Verletzt 10.000");
  });

  it("keeps the counts readable when no canvas can be drawn", async () => {
    HTMLCanvasElement.prototype.getContext = (() =>
      null) as typeof HTMLCanvasElement.prototype.getContext;

    await openOverview();

    expect(drawn.size, "nothing is drawn without a 2D context").toBe(0);
    expect(
      within(screen.getByTestId("chart-os")).getByRole("button", { name: /16\.7/ }),
    ).toBeVisible();
  });
});
