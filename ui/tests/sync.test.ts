import { screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import * as api from "../src/lib/api";
import type { SyncSummary } from "../src/lib/bindings/SyncSummary";
import { CHECK_INTERVAL_MS, SyncStatus } from "../src/lib/sync.svelte";
import { openApp, rowsShown } from "./app-harness";
import { appError, fakeShell, NOW, ORGS, requests } from "./fake-shell";

vi.mock("../src/lib/api", () => ({ call: vi.fn(), onSyncEvent: vi.fn(), onLedgerEvent: vi.fn() }));

describe("the freshness bar and the sync", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("tells per organisation when it was synced", async () => {
    vi.useFakeTimers({ now: NOW, shouldAdvanceTime: true });
    await openApp();

    await userEvent.click(await screen.findByRole("button", { name: "Details" }));

    const rows = screen.getAllByTestId("freshness-org");
    expect(rows).toHaveLength(ORGS.length);
    expect(rows[0]).toHaveTextContent("Gesamtschule Nord");
    expect(rows[0]).toHaveTextContent("vor 5 Min.");
  });

  it("shows the running sync's organisation and devices done, then refetches", async () => {
    let finish: (summary: SyncSummary) => void = () => {};
    const { shell, call } = await openApp({
      start_sync: () => new Promise<SyncSummary>((resolve) => (finish = resolve)),
    });
    await rowsShown();
    const pagesBefore = requests(call, "query_devices").length;

    await userEvent.click(screen.getByTestId("sync-button"));
    shell.emit({ kind: "started", org: "org-nord", name: "Gesamtschule Nord", full: false });
    shell.emit({ kind: "devices", org: "org-nord", done: 1200, total: 5000 });

    const progress = await screen.findByTestId("sync-progress");
    await waitFor(() =>
      expect(progress).toHaveTextContent("Gesamtschule Nord: 1.200 von 5.000 Geräten"),
    );
    expect(within(progress).getByRole("progressbar")).toHaveAttribute("value", "1200");
    expect(screen.getByTestId("sync-button"), "one sync at a time").toBeDisabled();

    shell.emit({ kind: "finished", org: "org-nord", error: null });
    shell.emit({ kind: "done", error: null });
    finish({ organisations: [] });

    await waitFor(() => expect(screen.queryByTestId("sync-progress")).toBeNull());
    await waitFor(() =>
      expect(
        requests(call, "query_devices").length,
        "the inventory is fetched again",
      ).toBeGreaterThan(pagesBefore),
    );
    expect(requests(call, "start_sync")).toEqual([{ full: false }]);
    expect(requests(call, "check_server").length, "the server is checked after a sync").toBe(2);
  });

  it("lists the organisations a sync could not update, with the reason", async () => {
    await openApp({
      start_sync: () => ({
        organisations: [
          { uuid: "org-nord", name: "Gesamtschule Nord", devices: 100, error: null },
          { uuid: "org-sued", name: "Grundschule Süd", devices: 0, error: "HTTP 503" },
        ],
      }),
    });

    await userEvent.click(screen.getByTestId("sync-button"));

    const failures = await screen.findByTestId("sync-failures");
    expect(failures).toHaveTextContent("Grundschule Süd: HTTP 503");
    expect(failures).not.toHaveTextContent("Gesamtschule Nord");
  });

  it("shows the running interval sync when the shell refuses a second one", async () => {
    const running = appError({ code: "invalid_input", key: "sync_running", message: "Running." });
    const { shell } = await openApp({ start_sync: () => Promise.reject(running) });

    await userEvent.click(screen.getByTestId("sync-button"));
    shell.emit({ kind: "devices", org: "org-nord", done: 10, total: 20 });

    expect(await screen.findByTestId("sync-progress")).toHaveTextContent("10 von 20");
    expect(screen.queryByRole("alert"), "nothing failed: a sync runs").toBeNull();
  });

  it("follows a sync the shell started on its own", async () => {
    const { shell, call } = await openApp();
    await rowsShown();
    const choicesBefore = requests(call, "filter_choices").length;

    shell.emit({ kind: "started", org: "org-sued", name: "Grundschule Süd", full: false });
    expect(await screen.findByTestId("sync-progress")).toHaveTextContent("Grundschule Süd");
    shell.emit({ kind: "done", error: null });

    await waitFor(() => expect(screen.queryByTestId("sync-progress")).toBeNull());
    await waitFor(() =>
      expect(requests(call, "filter_choices").length).toBeGreaterThan(choicesBefore),
    );
  });
});

describe("checking the server", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("asks the server at start and then every minute", async () => {
    vi.useFakeTimers();
    const shell = fakeShell();
    vi.mocked(api.call).mockImplementation(shell.call as typeof api.call);
    vi.mocked(api.onSyncEvent).mockImplementation(shell.onSyncEvent);
    const status = new SyncStatus();

    const stop = status.start();
    await vi.advanceTimersByTimeAsync(10);
    const atStart = requests(vi.mocked(api.call), "check_server").length;
    await vi.advanceTimersByTimeAsync(2 * CHECK_INTERVAL_MS);
    stop();
    await vi.advanceTimersByTimeAsync(CHECK_INTERVAL_MS);

    expect(atStart).toBe(1);
    expect(
      requests(vi.mocked(api.call), "check_server").length,
      "once a minute, until stopped",
    ).toBe(3);
  });
});
