import { screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { LEDGER_POLL_MS } from "../src/lib/ledger.svelte";
import { openApp, openDevice } from "./app-harness";
import { device, fakeActions, ledgerEntry, requests, type FakeActions } from "./fake-shell";

vi.mock("../src/lib/api", () => ({ call: vi.fn(), onSyncEvent: vi.fn(), onLedgerEvent: vi.fn() }));

function ledgerOf(): FakeActions {
  return fakeActions({
    ledger: [
      ledgerEntry(1, { id: 1, kind: "DEVICE_LOCATION", state: "ERROR", errorCode: 12067 }),
      ledgerEntry(2, { id: 2, kind: "DEVICE_LOCATION", state: "ERROR", errorCode: 12068 }),
      ledgerEntry(3, { id: 3, kind: "ERASE_DEVICE", state: "ERROR", errorCode: 12078 }),
      ledgerEntry(4, { id: 4, kind: "RESTART_DEVICE", state: "ERROR", errorCode: 12021 }),
      ledgerEntry(5, {
        id: 5,
        kind: "CLEAR_PASSCODE",
        state: "ERROR",
        errorCode: 12345,
        errorMessage: "The passcode could not be cleared.",
      }),
      ledgerEntry(6, {
        id: 6,
        kind: "ENABLE_LOST_MODE",
        state: "REJECTED",
        errorMessage: "The parameter phoneNumber is too long.",
      }),
      ledgerEntry(7, { id: 7, kind: "DEVICE_LOCK", state: "QUEUED" }),
      ledgerEntry(8, { id: 8, kind: "SHUT_DOWN_DEVICE", state: "OUTBOX", serverUuid: null }),
      ledgerEntry(9, { id: 9, kind: "DEVICE_LOCK", state: "ACKNOWLEDGED" }),
      ledgerEntry(10, { id: 10, kind: "PLAY_LOST_MODE_SOUND", state: "NOT_NOW" }),
      ledgerEntry(11, { id: 11, kind: "DISABLE_LOST_MODE", state: "CANCELLED" }),
      ledgerEntry(12, { id: 12, kind: "DEVICE_LOCK", state: "SENT" }),
    ],
  });
}

async function openLedger(actions: FakeActions = ledgerOf()) {
  const app = await openApp({}, undefined, actions);
  await userEvent.click(screen.getByTestId("tab-ledger"));
  await screen.findAllByTestId("ledger-row");
  return app;
}

function row(id: number) {
  return screen.getAllByTestId("ledger-row").find((r) => r.dataset.id === String(id))!;
}

describe("the ledger tab", () => {
  it("lists every action, newest first, with device, serial, kind and state", async () => {
    await openLedger();

    const rows = screen.getAllByTestId("ledger-row");

    expect(rows.map((r) => r.dataset.id)).toEqual([
      "12",
      "11",
      "10",
      "9",
      "8",
      "7",
      "6",
      "5",
      "4",
      "3",
      "2",
      "1",
    ]);
    expect(row(7)).toHaveAttribute("data-state", "QUEUED");
    expect(row(7)).toHaveAttribute("data-kind", "DEVICE_LOCK");
    expect(row(7)).toHaveAttribute("data-serial", device(7).serial);
    expect(row(7)).toHaveTextContent(device(7).name);
    expect(row(7)).toHaveTextContent("Sperre");
    expect(row(7)).toHaveTextContent("Beim Server eingereiht");
    expect(row(8)).toHaveTextContent("Im Postausgang");
    expect(row(9)).toHaveTextContent("Bestätigt");
    expect(row(10)).toHaveTextContent("Gerät beschäftigt");
    expect(row(11)).toHaveTextContent("Abgebrochen");
    expect(row(12)).toHaveTextContent("Vom Gerät abgeholt");
    expect(row(1)).toHaveTextContent("bezirk.admin");
  });

  it("explains Apple's error codes in a sentence, and shows the server's refusal", async () => {
    await openLedger();

    const problem = (id: number) => within(row(id)).getByTestId("ledger-problem");

    expect(problem(1)).toHaveTextContent("12067");
    expect(problem(1)).toHaveTextContent("nicht im Modus „Verloren“");
    expect(problem(2)).toHaveTextContent("Standort des Geräts ist unbekannt; versuchen Sie es");
    expect(problem(3)).toHaveTextContent("Im Modus „Verloren“ ist diese Aktion nicht erlaubt");
    expect(problem(4)).toHaveTextContent("nicht betreut");
    expect(problem(5), "other codes keep the server's message").toHaveTextContent(
      "12345 The passcode could not be cleared.",
    );
    expect(row(6)).toHaveTextContent("Vom Server abgelehnt");
    expect(problem(6)).toHaveTextContent("The parameter phoneNumber is too long.");
  });

  it("offers cancel only before the device fetched an action, retry only after it failed", async () => {
    await openLedger();

    const offered = (testid: string) =>
      screen
        .getAllByTestId("ledger-row")
        .filter((r) => within(r).queryByTestId(testid) !== null)
        .map((r) => r.dataset.state)
        .sort();

    expect(offered("ledger-cancel")).toEqual(["NOT_NOW", "OUTBOX", "QUEUED"]);
    expect(offered("ledger-retry")).toEqual([
      "CANCELLED",
      "ERROR",
      "ERROR",
      "ERROR",
      "ERROR",
      "ERROR",
      "REJECTED",
    ]);
  });

  it("cancels with cancel_action and retries with retry_action, then shows the new states", async () => {
    const { call } = await openLedger();

    await userEvent.click(within(row(7)).getByTestId("ledger-cancel"));
    await waitFor(() => expect(row(7)).toHaveAttribute("data-state", "CANCELLED"));
    await userEvent.click(within(row(5)).getByTestId("ledger-retry"));

    expect(requests(call, "cancel_action")).toEqual([{ id: 7 }]);
    expect(requests(call, "retry_action")).toEqual([{ id: 5 }]);
    await waitFor(() => expect(screen.getAllByTestId("ledger-row")).toHaveLength(13));
    const retried = screen.getAllByTestId("ledger-row")[0];
    expect(retried, "the retry is a new action").toHaveAttribute("data-kind", "CLEAR_PASSCODE");
    expect(retried).toHaveAttribute("data-serial", device(5).serial);
  });

  it("says why a retry was not queued when the preflight blocks it", async () => {
    await openLedger();

    await userEvent.click(within(row(4)).getByTestId("ledger-retry"));

    const refused = await screen.findByTestId("ledger-retry-refused");
    expect(refused).toHaveTextContent("Nicht erneut eingereiht");
    expect(refused, "device 4 is not supervised").toHaveTextContent("nicht betreut");
    expect(screen.getAllByTestId("ledger-row")).toHaveLength(12);
  });

  it("filters by state and by device", async () => {
    await openLedger();

    await userEvent.selectOptions(screen.getByTestId("ledger-filter-state"), "ERROR");
    expect(screen.getAllByTestId("ledger-row")).toHaveLength(5);
    await userEvent.type(screen.getByTestId("ledger-filter-device"), device(2).serial);

    const rows = screen.getAllByTestId("ledger-row");
    expect(rows.map((r) => r.dataset.id)).toEqual(["2"]);
  });

  it("follows the changes the shell reports", async () => {
    const actions = ledgerOf();
    const { shell } = await openLedger(actions);

    const entry = actions.ledger.find((e) => e.id === 7)!;
    Object.assign(entry, { state: "ACKNOWLEDGED" });
    shell.emitLedger([entry]);

    await waitFor(() => expect(row(7)).toHaveAttribute("data-state", "ACKNOWLEDGED"));
  });
});

describe("the ledger while its tab is open", () => {
  beforeEach(() => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("is fetched again every ten seconds", async () => {
    const { call } = await openLedger();
    const before = requests(call, "ledger").length;

    await vi.advanceTimersByTimeAsync(LEDGER_POLL_MS);
    await vi.advanceTimersByTimeAsync(LEDGER_POLL_MS);

    expect(requests(call, "ledger").length).toBe(before + 2);
    expect(requests(call, "ledger").at(-1)).toEqual({ deviceUuid: null });
  });
});

describe("the device detail's ledger", () => {
  it("lists only that device's actions, with cancel", async () => {
    const actions = ledgerOf();
    await openDevice(7, actions);

    const own = await screen.findByTestId("device-ledger");

    const rows = await within(own).findAllByTestId("ledger-row");
    expect(rows.map((r) => r.dataset.id)).toEqual(["7"]);
    expect(within(rows[0]).getByTestId("ledger-cancel")).toBeEnabled();
  });
});

describe("erased devices", () => {
  it("say whether they are back in service, still coming back, or have not come back", async () => {
    const actions = ledgerOf();
    const erased = (id: number, state: "waiting" | "backInService" | "notBack") => ({
      actionId: id,
      deviceName: device(id).name,
      serial: device(id).serial,
      erasedAt: Date.now() - 60_000,
      state,
      newUuid: state === "backInService" ? `new-${id}` : null,
    });
    actions.eraseFollowUps = [
      erased(3, "backInService"),
      erased(4, "waiting"),
      erased(5, "notBack"),
    ];

    await openLedger(actions);

    const items = await screen.findAllByTestId("erase-follow-up");
    expect(items.map((item) => item.dataset.state)).toEqual([
      "backInService",
      "waiting",
      "notBack",
    ]);
    expect(items[0]).toHaveTextContent("Wieder im Dienst");
    expect(items[2]).toHaveTextContent("bitte das Gerät prüfen");
  });
});
