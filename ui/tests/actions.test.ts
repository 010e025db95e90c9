import { screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { checksShown, openAction, openDevice } from "./app-harness";
import { appError, device, fakeActions, ledgerEntry, requests } from "./fake-shell";

vi.mock("../src/lib/api", () => ({ call: vi.fn(), onSyncEvent: vi.fn(), onLedgerEvent: vi.fn() }));

/** Device 1 is supervised, device 4 is not (every fourth device of the district). */
const SUPERVISED = 1;
const UNSUPERVISED = 4;

describe("the action dialog", () => {
  it("shows every preflight check with its verdict, translated, with the English detail", async () => {
    await openDevice(SUPERVISED);

    const dialog = await openAction("action-restart");

    expect(await checksShown(dialog)).toEqual({
      supervised: "pass",
      last_contact: "note",
      restart: "note",
    });
    const note = within(dialog)
      .getAllByTestId("preflight-check")
      .find((check) => check.dataset.key === "last_contact")!;
    expect(note).toHaveTextContent("Das Gerät hatte länger keinen Kontakt");
    expect(note, "the shell's English message is the detail").toHaveTextContent(
      "last checked in 1 days ago",
    );
    expect(within(dialog).getByText(/startet neu/)).toBeInTheDocument();
    expect(within(dialog).getByTestId("action-confirm")).toBeEnabled();
  });

  it("keeps confirm disabled when a check blocks the action", async () => {
    const { call } = await openDevice(UNSUPERVISED);

    const dialog = await openAction("action-shutdown");

    expect((await checksShown(dialog)).supervised).toBe("block");
    expect(within(dialog).getByTestId("action-blocked")).toBeInTheDocument();
    const confirm = within(dialog).getByTestId("action-confirm");
    expect(confirm, "a blocked action cannot be confirmed").toBeDisabled();
    await userEvent.click(confirm);
    expect(requests(call, "request_action")).toEqual([]);
  });

  it("queues a lock with its message and tells that the server has it", async () => {
    const { call } = await openDevice(SUPERVISED);
    const dialog = await openAction("action-lock");
    await checksShown(dialog);

    await userEvent.type(within(dialog).getByTestId("action-message"), "Bitte abgeben");
    await waitFor(() => expect(within(dialog).getByTestId("action-confirm")).toBeEnabled());
    await userEvent.click(within(dialog).getByTestId("action-confirm"));

    const outcome = await within(dialog).findByTestId("action-outcome");
    expect(outcome).toHaveAttribute("data-outcome", "queued");
    expect(outcome).toHaveTextContent("An den Server gesendet");
    expect(requests(call, "request_action")).toEqual([
      {
        deviceUuids: [device(SUPERVISED).uuid],
        kind: "DEVICE_LOCK",
        parameters: { message: "Bitte abgeben" },
        eraseConfirmation: null,
      },
    ]);
  });

  it("says an action waits in the outbox while the server cannot be reached", async () => {
    await openDevice(SUPERVISED, fakeActions({ serverReachable: false }));
    const dialog = await openAction("action-lock");
    await checksShown(dialog);

    await userEvent.click(within(dialog).getByTestId("action-confirm"));

    const outcome = await within(dialog).findByTestId("action-outcome");
    expect(outcome).toHaveAttribute("data-outcome", "waiting");
    expect(outcome).toHaveTextContent("wird gesendet, sobald der Server erreichbar ist");
  });

  it("shows the pending action instead of a duplicate, with a way to it in the ledger", async () => {
    const pending = ledgerEntry(SUPERVISED, { id: 41, kind: "DEVICE_LOCK", state: "QUEUED" });
    await openDevice(SUPERVISED, fakeActions({ ledger: [pending] }));
    const dialog = await openAction("action-lock");

    expect((await checksShown(dialog)).duplicate).toBe("block");
    const shown = await within(dialog).findByTestId("duplicate-pending");
    await waitFor(() => expect(shown).toHaveTextContent("Sperre, Beim Server eingereiht"));
    expect(within(dialog).getByTestId("action-confirm")).toBeDisabled();
    await userEvent.click(within(dialog).getByTestId("duplicate-link"));

    expect(screen.getByTestId("tab-ledger")).toHaveAttribute("aria-selected", "true");
    const row = await screen.findByTestId("ledger-row");
    expect(row, "the pending action is pointed at").toHaveAttribute("data-id", "41");
    expect(screen.queryByTestId("device-detail")).toBeNull();
  });
});

describe("lost mode's texts", () => {
  it("counts the characters of message, phone and footnote as they are typed", async () => {
    await openDevice(SUPERVISED);
    const dialog = await openAction("action-lost-mode");

    await userEvent.type(within(dialog).getByTestId("action-message"), "Im Sekretariat");
    await userEvent.type(within(dialog).getByTestId("action-phone"), "+49 201 1");
    await userEvent.type(within(dialog).getByTestId("action-footnote"), "GSN");

    expect(within(dialog).getByTestId("action-message-count")).toHaveTextContent("14 / 200");
    expect(within(dialog).getByTestId("action-phone-count")).toHaveTextContent("9 / 30");
    expect(within(dialog).getByTestId("action-footnote-count")).toHaveTextContent("3 / 100");
    await waitFor(() => expect(within(dialog).getByTestId("action-confirm")).toBeEnabled());
  });

  it("refuses texts over their limits, naming the one too long", async () => {
    await openDevice(SUPERVISED);
    const dialog = await openAction("action-lost-mode");

    await userEvent.click(within(dialog).getByTestId("action-message"));
    await userEvent.paste("x".repeat(201));
    await userEvent.click(within(dialog).getByTestId("action-phone"));
    await userEvent.paste("1".repeat(31));
    await userEvent.click(within(dialog).getByTestId("action-footnote"));
    await userEvent.paste("y".repeat(101));

    expect(within(dialog).getByTestId("action-message-count")).toHaveTextContent("201 / 200");
    expect(within(dialog).getByTestId("action-message")).toHaveAttribute("aria-invalid", "true");
    const problems = within(dialog).getByTestId("action-problems");
    expect(problems).toHaveTextContent("Die Nachricht ist länger als 200 Zeichen");
    expect(problems).toHaveTextContent("Die Telefonnummer ist länger als 30 Zeichen");
    expect(problems).toHaveTextContent("Die Fußnote ist länger als 100 Zeichen");
    expect(within(dialog).getByTestId("action-confirm")).toBeDisabled();
  });

  it("needs a message or a phone number; the phone number alone is enough", async () => {
    await openDevice(SUPERVISED);
    const dialog = await openAction("action-lost-mode");

    const problems = within(dialog).getByTestId("action-problems");
    expect(problems).toHaveTextContent("Geben Sie eine Nachricht oder eine Telefonnummer an");
    expect(within(dialog).getByTestId("action-confirm")).toBeDisabled();
    await userEvent.type(within(dialog).getByTestId("action-footnote"), "Gesamtschule Nord");
    expect(within(dialog).getByTestId("action-confirm"), "a footnote is not enough").toBeDisabled();
    await userEvent.type(within(dialog).getByTestId("action-phone"), "+49 201 1234567");

    expect(within(dialog).queryByTestId("action-problems")).toBeNull();
    await waitFor(() => expect(within(dialog).getByTestId("action-confirm")).toBeEnabled());
  });
});

describe("an erase", () => {
  it("is enabled only once the device's name or serial number is typed", async () => {
    const { call } = await openDevice(SUPERVISED);
    const dialog = await openAction("action-erase");
    expect((await checksShown(dialog)).erase).toBe("note");
    const field = within(dialog).getByTestId("erase-confirmation");
    const confirm = within(dialog).getByTestId("action-confirm");

    await userEvent.type(field, "iPad 00002");
    expect(confirm, "another device's name does not confirm").toBeDisabled();
    await userEvent.clear(field);
    await userEvent.type(field, device(SUPERVISED).serial.toLowerCase());
    expect(confirm, "the serial number confirms in any case").toBeEnabled();
    await userEvent.click(within(dialog).getByTestId("erase-return-to-service"));
    await waitFor(() => expect(within(dialog).getByTestId("action-confirm")).toBeEnabled());
    await userEvent.click(within(dialog).getByTestId("action-confirm"));

    await within(dialog).findByTestId("action-outcome");
    expect(requests(call, "request_action").at(-1)).toMatchObject({
      kind: "ERASE_DEVICE",
      parameters: { preserveDataPlan: false, returnToService: true },
      eraseConfirmation: device(SUPERVISED).serial.toLowerCase(),
    });
  });

  it("shows the shell's refusal of the confirmation next to the field", async () => {
    const refusal = appError({
      code: "invalid_input",
      key: "erase_not_confirmed",
      field: "confirmation",
      message: "Type the device's name or serial number to confirm the erase.",
    });
    await openDevice(SUPERVISED, fakeActions(), {
      request_action: () => Promise.reject(refusal),
    });
    const dialog = await openAction("action-erase");
    await checksShown(dialog);

    await userEvent.type(within(dialog).getByTestId("erase-confirmation"), device(1).name);
    await userEvent.click(within(dialog).getByTestId("action-confirm"));

    const error = await within(dialog).findByTestId("erase-confirmation-error");
    expect(error).toHaveTextContent("Name oder Seriennummer stimmen nicht");
    expect(within(dialog).getByTestId("erase-confirmation")).toHaveAttribute(
      "aria-invalid",
      "true",
    );
    expect(within(dialog).queryByTestId("action-outcome")).toBeNull();
  });
});

describe("ringing and locating", () => {
  it("are disabled outside lost mode, with the preflight's reason", async () => {
    await openDevice(SUPERVISED);

    const reason = await screen.findByTestId("lost-only-reason");

    expect(reason).toHaveTextContent("nicht im Modus „Verloren“");
    expect(screen.getByTestId("action-ring")).toBeDisabled();
    expect(screen.getByTestId("action-locate")).toBeDisabled();
    expect(screen.getByTestId("action-locate")).toHaveAccessibleDescription(/Modus „Verloren“/);
    expect(screen.getByTestId("action-lock"), "other actions stay available").toBeEnabled();
  });

  it("are disabled on an unsupervised device even in lost mode", async () => {
    const actions = fakeActions({ lostMode: new Set([device(UNSUPERVISED).uuid]) });

    await openDevice(UNSUPERVISED, actions);

    const reason = await screen.findByTestId("lost-only-reason");
    expect(reason).toHaveTextContent("nicht betreut");
    expect(screen.getByTestId("action-ring")).toBeDisabled();
  });

  it("are enabled on a supervised device in lost mode", async () => {
    const actions = fakeActions({ lostMode: new Set([device(SUPERVISED).uuid]) });
    await openDevice(SUPERVISED, actions);

    await waitFor(() => expect(screen.getByTestId("action-ring")).toBeEnabled());

    expect(screen.getByTestId("action-locate")).toBeEnabled();
    expect(screen.queryByTestId("lost-only-reason")).toBeNull();
  });
});
