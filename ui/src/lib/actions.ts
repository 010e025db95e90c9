// Device actions as the window offers them: which ones there are, what each asks for, the rules
// the server checks again (lengths, "message or phone", the erase confirmation), and how a
// ledger state or an Apple error code reads.
import type { ActionParameters } from "./bindings/ActionParameters";
import type { ActionRequest } from "./bindings/ActionRequest";
import type { ActionType } from "./bindings/ActionType";
import type { Check } from "./bindings/Check";
import type { LedgerEntry } from "./bindings/LedgerEntry";
import { hasMessage, t, type MessageKey } from "./i18n/i18n.svelte";

/** Lengths the server accepts (docs/api.md, "Device actions"). */
export const MAX_MESSAGE = 200;
export const MAX_PHONE = 30;
export const MAX_FOOTNOTE = 100;

/** The actions of the device detail, in the order of its buttons, with their test ids. */
export const DEVICE_ACTIONS: readonly { kind: ActionType; testid: string }[] = [
  { kind: "DEVICE_LOCK", testid: "action-lock" },
  { kind: "ENABLE_LOST_MODE", testid: "action-lost-mode" },
  { kind: "DISABLE_LOST_MODE", testid: "action-lost-mode-off" },
  { kind: "PLAY_LOST_MODE_SOUND", testid: "action-ring" },
  { kind: "DEVICE_LOCATION", testid: "action-locate" },
  { kind: "RESTART_DEVICE", testid: "action-restart" },
  { kind: "SHUT_DOWN_DEVICE", testid: "action-shutdown" },
  { kind: "CLEAR_PASSCODE", testid: "action-clear-passcode" },
  { kind: "ERASE_DEVICE", testid: "action-erase" },
];

/** What may be sent to many devices at once; an erase is always one device, typed to confirm. */
export const BULK_ACTIONS: readonly { kind: ActionType; testid: string }[] = [
  { kind: "DEVICE_LOCK", testid: "bulk-lock" },
  { kind: "RESTART_DEVICE", testid: "bulk-restart" },
  { kind: "SHUT_DOWN_DEVICE", testid: "bulk-shutdown" },
  { kind: "ENABLE_LOST_MODE", testid: "bulk-lost-mode" },
];

/** Ringing and locating work only in lost mode; the detail asks the preflight before offering. */
export const LOST_MODE_ONLY: readonly ActionType[] = ["PLAY_LOST_MODE_SOUND", "DEVICE_LOCATION"];

export const LEDGER_STATES = [
  "OUTBOX",
  "QUEUED",
  "SENT",
  "NOT_NOW",
  "ACKNOWLEDGED",
  "ERROR",
  "REJECTED",
  "CANCELLED",
] as const;

const CANCELLABLE = ["OUTBOX", "QUEUED", "NOT_NOW"];
const RETRYABLE = ["ERROR", "REJECTED", "CANCELLED"];
const FINAL = ["ACKNOWLEDGED", "ERROR", "REJECTED", "CANCELLED"];

/** Apple's error codes that the window explains in its own words. */
const EXPLAINED_CODES = [12067, 12068, 12078, 12021];

/** What the user typed into an action's dialog. */
export interface ActionInput {
  message: string;
  phoneNumber: string;
  footnote: string;
  preserveDataPlan: boolean;
  returnToService: boolean;
  /** For an erase: the device's name or serial number. */
  confirmation: string;
}

export function emptyInput(): ActionInput {
  return {
    message: "",
    phoneNumber: "",
    footnote: "",
    preserveDataPlan: false,
    returnToService: false,
    confirmation: "",
  };
}

/** Characters as the server counts them: code points of the trimmed text. */
export function textLength(text: string): number {
  return [...text.trim()].length;
}

/** The parameters the kind takes; empty texts are left out, as the server treats them so. */
export function actionParameters(kind: ActionType, input: ActionInput): ActionParameters {
  switch (kind) {
    case "DEVICE_LOCK":
      return omitEmpty({ message: input.message });
    case "ENABLE_LOST_MODE":
      return omitEmpty({
        message: input.message,
        phoneNumber: input.phoneNumber,
        footnote: input.footnote,
      });
    case "ERASE_DEVICE":
      return {
        preserveDataPlan: input.preserveDataPlan,
        returnToService: input.returnToService,
      };
    default:
      return {};
  }
}

function omitEmpty(texts: Record<string, string>): ActionParameters {
  const kept = Object.entries(texts).filter(([, value]) => value.trim() !== "");
  return Object.fromEntries(kept.map(([name, value]) => [name, value.trim()]));
}

export function actionRequest(
  kind: ActionType,
  deviceUuids: string[],
  input: ActionInput,
): ActionRequest {
  return {
    deviceUuids,
    kind,
    parameters: actionParameters(kind, input),
    eraseConfirmation: kind === "ERASE_DEVICE" ? input.confirmation.trim() : null,
  };
}

/** Why the input cannot be sent yet, as message keys; the preflight checks the same again. */
export function inputProblems(kind: ActionType, input: ActionInput): MessageKey[] {
  const problems: MessageKey[] = [];
  if (kind === "DEVICE_LOCK" && textLength(input.message) > MAX_MESSAGE) {
    problems.push("dialog.problem.messageTooLong");
  }
  if (kind !== "ENABLE_LOST_MODE") return problems;
  if (textLength(input.message) === 0 && textLength(input.phoneNumber) === 0) {
    problems.push("dialog.problem.messageOrPhone");
  }
  if (textLength(input.message) > MAX_MESSAGE) problems.push("dialog.problem.messageTooLong");
  if (textLength(input.phoneNumber) > MAX_PHONE) problems.push("dialog.problem.phoneTooLong");
  if (textLength(input.footnote) > MAX_FOOTNOTE) problems.push("dialog.problem.footnoteTooLong");
  return problems;
}

/** The typed confirmation of an erase: the device's name, or its serial in any case. */
export function eraseConfirmed(typed: string, name: string, serial: string): boolean {
  const text = typed.trim();
  if (text === "") return false;
  return text === name.trim() || text.toLowerCase() === serial.trim().toLowerCase();
}

export function isCancellable(state: string): boolean {
  return CANCELLABLE.includes(state);
}

export function isRetryable(state: string): boolean {
  return RETRYABLE.includes(state);
}

/** Nothing changes any more for an action in a final state. */
export function isFinal(state: string): boolean {
  return FINAL.includes(state);
}

/** An action's kind as a noun: "Sperre", "Ortung"; unknown kinds keep their wire name. */
export function kindLabel(kind: string): string {
  const key = `kind.${kind}`;
  return hasMessage(key) ? t(key) : kind;
}

export function stateLabel(state: string): string {
  const key = `state.${state}`;
  return hasMessage(key) ? t(key) : state;
}

/** A check in the window's language: its translation by key and verdict, else its message. */
export function checkText(check: Check): string {
  const key = `check.${check.key}.${check.verdict}`;
  return hasMessage(key) ? t(key) : check.message;
}

/** The checks that keep an action from being queued, in the window's words. */
export function blockReasons(checks: readonly Check[]): string[] {
  return checks.filter((check) => check.verdict === "block").map(checkText);
}

/**
 * Why an action failed, in a sentence: Apple's codes the window knows are explained, others
 * (and refusals by the server) keep the server's message.
 */
export function failureText(entry: Pick<LedgerEntry, "errorCode" | "errorMessage">): string {
  const code = entry.errorCode;
  if (code !== null && EXPLAINED_CODES.includes(code)) {
    return t(`appleError.${code}` as MessageKey);
  }
  if (entry.errorMessage) return entry.errorMessage;
  return code === null ? t("appleError.none") : t("appleError.other", { code });
}

/** The newest entry of a kind in a ledger that lists the newest first. */
export function latestOf(entries: readonly LedgerEntry[], kind: ActionType): LedgerEntry | null {
  return entries.find((entry) => entry.kind === kind) ?? null;
}

/**
 * Whether the device is in lost mode as far as the window knows: the newest acknowledged
 * enable or disable decides; without one, the cache's flag.
 */
export function inLostMode(entries: readonly LedgerEntry[], cached: boolean): boolean {
  const acknowledged = entries
    .filter((entry) => entry.state === "ACKNOWLEDGED")
    .filter((entry) => entry.kind === "ENABLE_LOST_MODE" || entry.kind === "DISABLE_LOST_MODE")
    .sort((a, b) => b.updatedAt - a.updatedAt || b.id - a.id)[0];
  return acknowledged ? acknowledged.kind === "ENABLE_LOST_MODE" : cached;
}
