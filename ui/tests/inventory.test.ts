import { fireEvent, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";

import { WINDOW_SIZE } from "../src/lib/device-windows.svelte";
import { openApp, rowsShown } from "./app-harness";
import { device, DEVICES, requests } from "./fake-shell";
import { GRID_HEIGHT } from "./setup";

vi.mock("../src/lib/api", () => ({ call: vi.fn(), onSyncEvent: vi.fn(), onLedgerEvent: vi.fn() }));

/** The last page request: what the table shows now (the count query has limit 0). */
function lastPageQuery(call: Parameters<typeof requests>[0]) {
  return requests(call, "query_devices")
    .filter((query) => query.limit !== 0)
    .at(-1);
}

describe("the inventory table", () => {
  beforeEach(() => {
    vi.useRealTimers();
  });

  it("renders the rows query_devices returns, only as many as fit on the screen", async () => {
    const { call } = await openApp();

    const rows = await rowsShown();

    expect(rows[0]).toHaveAttribute("data-serial", device(0).serial);
    expect(rows[0]).toHaveAttribute("data-uuid", device(0).uuid);
    expect(within(rows[0]).getByText(device(0).name)).toBeInTheDocument();
    expect(rows.length, "50,000 rows must never all be in the page").toBeLessThan(60);
    expect(rows.length).toBeGreaterThanOrEqual(Math.floor(GRID_HEIGHT / 36) - 1);
    const pages = requests(call, "query_devices").filter((q) => q.limit !== 0);
    expect(pages[0], "rows are fetched in windows").toMatchObject({
      offset: 0,
      limit: WINDOW_SIZE,
    });
  });

  it("always shows the total the shell counted", async () => {
    await openApp();

    await rowsShown();

    expect(screen.getByTestId("device-count")).toHaveTextContent("50.000 Geräte");
  });

  it("shows how many of all devices match when a filter narrows them", async () => {
    await openApp();
    await rowsShown();

    await userEvent.selectOptions(screen.getByTestId("filter-supervised"), "no");

    const matching = Array.from({ length: DEVICES }, (_, i) => device(i)).filter(
      (row) => !row.supervised,
    ).length;
    await waitFor(() =>
      expect(screen.getByTestId("device-count")).toHaveTextContent(
        `${matching.toLocaleString("de-DE")} von 50.000 Geräten`,
      ),
    );
  });

  it("fetches the window of rows under the scroll position, not the rows before it", async () => {
    const { call } = await openApp();
    await rowsShown();
    const grid = screen.getByRole("grid");

    grid.scrollTop = 36 * 20_000;
    await fireEvent.scroll(grid);

    await waitFor(() => {
      const offsets = requests(call, "query_devices").map((q) => q.offset);
      expect(offsets).toContain(20_000 - (20_000 % WINDOW_SIZE));
    });
    const offsets = requests(call, "query_devices").map((q) => q.offset);
    expect(offsets, "windows between the top and the view are skipped").not.toContain(10_000);
    await waitFor(() =>
      expect(
        screen
          .getAllByTestId("device-row")
          .some((row) => row.dataset.serial === device(20_005).serial),
      ).toBe(true),
    );
  });

  it("sorts by a column when its header is clicked, and reverses on a second click", async () => {
    const { call } = await openApp();
    await rowsShown();

    await userEvent.click(screen.getByTestId("sort-serial"));
    await waitFor(() =>
      expect(lastPageQuery(call)).toMatchObject({
        sort: "serial",
        descending: false,
      }),
    );
    await userEvent.click(screen.getByTestId("sort-serial"));

    await waitFor(() =>
      expect(lastPageQuery(call)).toMatchObject({
        sort: "serial",
        descending: true,
      }),
    );
    expect(screen.getByRole("columnheader", { name: /Seriennummer/ })).toHaveAttribute(
      "aria-sort",
      "descending",
    );
  });

  it("opens a device's detail when its row is clicked, and closes it with Escape", async () => {
    const { call } = await openApp();
    const rows = await rowsShown();

    await userEvent.click(within(rows[2]).getByText(device(2).name));

    const detail = await screen.findByTestId("device-detail");
    await waitFor(() =>
      expect(within(detail).getByTestId("detail-serial")).toHaveTextContent(device(2).serial),
    );
    expect(requests(call, "device_detail")).toEqual([{ uuid: device(2).uuid }]);
    const apps = within(detail).getByTestId("detail-apps");
    expect(within(apps).getByText("com.apple.Pages")).toBeInTheDocument();
    expect(within(detail).getByText("20,0 von 64,0 GB frei")).toBeInTheDocument();

    await userEvent.keyboard("{Escape}");

    expect(screen.queryByTestId("device-detail")).toBeNull();
  });

  it("moves through rows with the arrow keys and opens one with Enter", async () => {
    await openApp();
    await rowsShown();
    screen.getByRole("grid").focus();

    await userEvent.keyboard("{ArrowDown}{ArrowDown}{Enter}");

    const detail = await screen.findByTestId("device-detail");
    await waitFor(() =>
      expect(within(detail).getByTestId("detail-serial")).toHaveTextContent(device(2).serial),
    );
  });

  it("shows only the chosen columns and adds one from the column chooser", async () => {
    await openApp();
    await rowsShown();
    expect(screen.queryByRole("columnheader", { name: /Organisation/ })).toBeNull();

    await userEvent.click(screen.getByTestId("column-chooser"));
    await userEvent.click(screen.getByTestId("column-organisation"));

    expect(screen.getByRole("columnheader", { name: /Organisation/ })).toBeInTheDocument();
  });
});
