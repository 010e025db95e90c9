// What became of an action request for each device, in the words of the dialog's result: the
// preflight's answer, and the ledger's state of each queued action right after the send.
import { blockReasons, failureText } from "./actions";
import type { ActionOutcome } from "./bindings/ActionOutcome";
import type { LedgerEntry } from "./bindings/LedgerEntry";

export type OutcomeKind =
  "waiting" | "queued" | "sent" | "done" | "failed" | "rejected" | "refused" | "cancelled";

export interface DeviceOutcome {
  uuid: string;
  name: string;
  kind: OutcomeKind;
  /** Why it was refused or failed, in the window's words. */
  reason: string | null;
  actionId: number | null;
  /** The pending action that made this one a duplicate. */
  duplicateOf: number | null;
}

const BY_STATE: Record<string, OutcomeKind> = {
  OUTBOX: "waiting",
  QUEUED: "queued",
  SENT: "sent",
  NOT_NOW: "sent",
  ACKNOWLEDGED: "done",
  ERROR: "failed",
  REJECTED: "rejected",
  CANCELLED: "cancelled",
};

/** Outcomes that mean the action is on its way or done. */
export const ACCEPTED: readonly OutcomeKind[] = ["waiting", "queued", "sent", "done"];

export function deviceOutcomes(
  result: ActionOutcome,
  ledger: readonly LedgerEntry[],
): DeviceOutcome[] {
  return result.requested.map((requested) => {
    const base = {
      uuid: requested.deviceUuid,
      name: requested.deviceName,
      actionId: requested.actionId,
      duplicateOf: requested.preflight.duplicateOf,
    };
    if (requested.actionId === null) {
      const reason = blockReasons(requested.preflight.checks).join(" ");
      return { ...base, kind: "refused", reason };
    }
    const entry = ledger.find((candidate) => candidate.id === requested.actionId);
    if (!entry) {
      // Not in the newest thousand entries: the flush's answer tells enough.
      return { ...base, kind: result.flush.problem ? "waiting" : "queued", reason: null };
    }
    const kind = BY_STATE[entry.state] ?? "queued";
    const failed = kind === "failed" || kind === "rejected";
    return { ...base, kind, reason: failed ? failureText(entry) : null };
  });
}
