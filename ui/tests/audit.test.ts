import { screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { csvCell, toCsv } from "../src/lib/csv";
import { openApp } from "./app-harness";
import { device, fakeActions, NOW } from "./fake-shell";

vi.mock("../src/lib/api", () => ({ call: vi.fn(), onSyncEvent: vi.fn(), onLedgerEvent: vi.fn() }));

const blobs: Blob[] = [];

function audited() {
  return fakeActions({
    audit: [
      {
        at: NOW,
        who: '=HYPERLINK("http://x")',
        what: "ERASE_DEVICE",
        deviceUuid: device(3).uuid,
        serial: device(3).serial,
        deviceName: "Koffer; 3-07",
      },
      {
        at: NOW - 3600_000,
        who: "admin.nord",
        what: "DEVICE_LOCATION",
        deviceUuid: device(1).uuid,
        serial: device(1).serial,
        deviceName: "@iPad",
      },
    ],
  });
}

describe("the audit log", () => {
  beforeEach(() => {
    blobs.length = 0;
    URL.createObjectURL = vi.fn((blob: Blob) => (blobs.push(blob), `blob:koffer/${blobs.length}`));
    URL.revokeObjectURL = vi.fn();
  });

  afterEach(() => {
    Reflect.deleteProperty(URL, "createObjectURL");
    Reflect.deleteProperty(URL, "revokeObjectURL");
  });

  it("lists who located or erased which device, and when", async () => {
    await openApp({}, undefined, audited());

    await userEvent.click(screen.getByTestId("tab-ledger"));

    const rows = await screen.findAllByTestId("audit-row");
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent("Löschung");
    expect(rows[0]).toHaveTextContent(device(3).serial);
    expect(rows[1]).toHaveTextContent("admin.nord");
    expect(rows[1]).toHaveTextContent("Ortung");
    expect(rows[1]).toHaveTextContent("@iPad");
  });

  it("exports a CSV through a download link, with formula cells guarded", async () => {
    await openApp({}, undefined, audited());
    await userEvent.click(screen.getByTestId("tab-ledger"));
    await screen.findAllByTestId("audit-row");

    const link = await screen.findByTestId("audit-export");

    await waitFor(() => expect(link.getAttribute("href")).toMatch(/^blob:koffer\//));
    expect(link.getAttribute("download")).toMatch(/^koffer-audit-\d{4}-\d{2}-\d{2}\.csv$/);
    const text = await blobs.at(-1)!.text();
    const lines = text
      .replace(/^\uFEFF/, "")
      .trimEnd()
      .split("\r\n");
    expect(lines[0]).toBe("Zeit;Wer;Aktion;Aktion (Code);Gerät;Seriennummer;Geräte-UUID");
    expect(lines[1]).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(lines[1], "a cell with the separator is quoted").toContain('"Koffer; 3-07"');
    expect(lines[2]).toContain(";'@iPad;");
    expect(within(screen.getByTestId("ledger")).getByText("Als CSV speichern")).toBe(link);
  });
});

describe("CSV cells", () => {
  it("start with an apostrophe when a spreadsheet would run them as a formula", () => {
    expect(["=1+1", "+49 201", "-3", "@SUM(A1)"].map((cell) => csvCell(cell, ","))).toEqual([
      "'=1+1",
      "'+49 201",
      "'-3",
      "'@SUM(A1)",
    ]);
    expect(csvCell("GSN-Koffer-3-07", ","), "a dash inside is harmless").toBe("GSN-Koffer-3-07");
  });

  it("are quoted when they hold the separator, quotes or line breaks", () => {
    expect(csvCell("a,b", ",")).toBe('"a,b"');
    expect(csvCell("a,b", ";")).toBe("a,b");
    expect(csvCell('say "hi"', ",")).toBe('"say ""hi"""');
    expect(csvCell("two\nlines", ",")).toBe('"two\nlines"');
  });

  it("make a file with a byte order mark and CRLF line ends", () => {
    expect(
      toCsv(
        [
          ["a", "b"],
          ["c", "d"],
        ],
        ",",
      ),
    ).toBe("\uFEFFa,b\r\nc,d\r\n");
  });
});
