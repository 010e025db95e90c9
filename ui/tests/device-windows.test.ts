import { describe, expect, it, vi } from "vitest";

import type { DevicePage } from "../src/lib/bindings/DevicePage";
import { DeviceWindows, KEPT_WINDOWS, WINDOW_SIZE } from "../src/lib/device-windows.svelte";
import { device } from "./fake-shell";

const TOTAL = 50_000;

function page(offset: number, limit: number): DevicePage {
  const rows = Array.from({ length: Math.min(limit, TOTAL - offset) }, (_, i) =>
    device(offset + i),
  );
  return { rows, total: TOTAL };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("the inventory's row windows", () => {
  it("fetches each window once, however often its rows are shown", async () => {
    const fetch = vi.fn(async (offset: number, limit: number) => page(offset, limit));
    const windows = new DeviceWindows(fetch);

    windows.show(0, 30);
    windows.show(10, 40);
    await settle();
    windows.show(5, 35);

    expect(fetch).toHaveBeenCalledTimes(1);
    expect(windows.total).toBe(TOTAL);
    expect(windows.row(7)?.serial).toBe(device(7).serial);
  });

  it("fetches both windows when the visible rows straddle their border", async () => {
    const fetch = vi.fn(async (offset: number, limit: number) => page(offset, limit));
    const windows = new DeviceWindows(fetch);

    windows.show(WINDOW_SIZE - 5, WINDOW_SIZE + 5);
    await settle();

    expect(fetch.mock.calls.map(([offset]) => offset)).toEqual([0, WINDOW_SIZE]);
  });

  it("keeps a bounded number of windows, dropping those far from the view", async () => {
    const windows = new DeviceWindows(async (offset, limit) => page(offset, limit));

    for (let window = 0; window <= KEPT_WINDOWS + 5; window++) {
      windows.show(window * WINDOW_SIZE, window * WINDOW_SIZE + 10);
      await settle();
    }

    expect(windows.row(0), "the first window is far from the view now").toBeUndefined();
    expect(windows.row((KEPT_WINDOWS + 5) * WINDOW_SIZE)?.serial).toBeDefined();
  });

  it("drops the answer to a query that is no longer shown", async () => {
    let answer: (page: DevicePage) => void = () => {};
    const windows = new DeviceWindows(() => new Promise((resolve) => (answer = resolve)));

    windows.show(0, 10);
    windows.close();
    answer(page(0, WINDOW_SIZE));
    await settle();

    expect(windows.total, "a closed cache takes no answers").toBeNull();
    expect(windows.row(0)).toBeUndefined();
  });

  it("keeps the error and fetches the window again when shown again", async () => {
    const fetch = vi
      .fn<(offset: number, limit: number) => Promise<DevicePage>>()
      .mockRejectedValueOnce({
        code: "local_storage",
        key: "cache_failed",
        message: "x",
        field: null,
      })
      .mockImplementation(async (offset, limit) => page(offset, limit));
    const windows = new DeviceWindows(fetch);

    windows.show(0, 10);
    await settle();
    const error = windows.error;
    windows.show(0, 10);
    await settle();

    expect(error?.code).toBe("local_storage");
    expect(windows.error).toBeNull();
    expect(windows.row(0)).toBeDefined();
  });
});
