import { describe, expect, it } from "vitest";

import {
  actionRequest,
  emptyInput,
  eraseConfirmed,
  failureText,
  inLostMode,
  inputProblems,
  textLength,
} from "../src/lib/actions";
import { ledgerEntry } from "./fake-shell";

describe("the rules the dialog checks before the shell does", () => {
  it("counts characters as the server does: trimmed, emoji as one", () => {
    expect(textLength("  Bitte abgeben  ")).toBe(13);
    expect(textLength("📱📱")).toBe(2);
  });

  it("asks lost mode for a message or a phone number, whitespace being neither", () => {
    const blank = { ...emptyInput(), message: "   ", footnote: "GSN" };

    expect(inputProblems("ENABLE_LOST_MODE", blank)).toEqual(["dialog.problem.messageOrPhone"]);
    expect(inputProblems("ENABLE_LOST_MODE", { ...blank, phoneNumber: "+49" })).toEqual([]);
    expect(inputProblems("DEVICE_LOCK", blank), "a lock needs no message").toEqual([]);
  });

  it("sends only the parameters of the kind, without empty texts", () => {
    const input = { ...emptyInput(), message: " Hallo ", footnote: "  ", confirmation: "x" };

    expect(actionRequest("ENABLE_LOST_MODE", ["u"], input)).toEqual({
      deviceUuids: ["u"],
      kind: "ENABLE_LOST_MODE",
      parameters: { message: "Hallo" },
      eraseConfirmation: null,
    });
    expect(actionRequest("RESTART_DEVICE", ["u"], input).parameters).toEqual({});
  });

  it("confirms an erase by the exact name or the serial in any case", () => {
    expect(eraseConfirmed("GSN-Koffer-3-07", "GSN-Koffer-3-07", "DMPXK2LQ9F0D")).toBe(true);
    expect(eraseConfirmed(" dmpxk2lq9f0d ", "GSN-Koffer-3-07", "DMPXK2LQ9F0D")).toBe(true);
    expect(eraseConfirmed("gsn-koffer-3-07", "GSN-Koffer-3-07", "DMPXK2LQ9F0D")).toBe(false);
    expect(eraseConfirmed("", "", "")).toBe(false);
  });

  it("explains the Apple codes it knows and keeps the server's message for others", () => {
    expect(failureText({ errorCode: 12068, errorMessage: "unknown" })).toMatch(/unbekannt/);
    expect(failureText({ errorCode: 99, errorMessage: "Device busy." })).toBe("Device busy.");
    expect(failureText({ errorCode: 99, errorMessage: null })).toMatch(/99/);
  });

  it("takes lost mode from the newest acknowledged enable or disable, else from the cache", () => {
    const enabled = ledgerEntry(1, { id: 1, kind: "ENABLE_LOST_MODE", state: "ACKNOWLEDGED" });
    const disabled = {
      ...enabled,
      id: 2,
      kind: "DISABLE_LOST_MODE",
      updatedAt: enabled.updatedAt + 1,
    };
    const pending = { ...enabled, id: 3, state: "QUEUED", updatedAt: enabled.updatedAt + 2 };

    expect(inLostMode([enabled], false)).toBe(true);
    expect(inLostMode([disabled, enabled], true)).toBe(false);
    expect(inLostMode([pending], false), "a pending enable is not lost mode yet").toBe(false);
    expect(inLostMode([], true)).toBe(true);
  });
});
