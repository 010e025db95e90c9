// Tells the user when an action that waited long has ended: a toast in the window, and a
// system notification where the webview offers them and the user allowed them.
import { failureText, kindLabel } from "./actions";
import type { LedgerEntry } from "./bindings/LedgerEntry";
import { t } from "./i18n/i18n.svelte";

/** An action answered within this time was watched by the user anyway; no toast for it. */
export const LONG_PENDING_MS = 60_000;
/** Toasts shown at once; the oldest goes first. */
const MAX_TOASTS = 5;

export interface Toast {
  /** The ledger entry and its state: the same change is told once. */
  id: string;
  entryId: number;
  kind: "acknowledged" | "failed";
  text: string;
}

export class Notices {
  toasts = $state<Toast[]>([]);
  #told = new Set<string>();

  /** Looks at the changed entries and tells of those that ended after a long wait. */
  consider(entries: readonly LedgerEntry[], now: number = Date.now()): void {
    for (const entry of entries) {
      const toast = toastFor(entry, now);
      if (toast === null || this.#told.has(toast.id)) continue;
      this.#told.add(toast.id);
      this.toasts = [...this.toasts, toast].slice(-MAX_TOASTS);
      notifySystem(toast.text);
    }
  }

  dismiss(id: string): void {
    this.toasts = this.toasts.filter((toast) => toast.id !== id);
  }
}

function toastFor(entry: LedgerEntry, now: number): Toast | null {
  const ended = entry.state === "ACKNOWLEDGED" || entry.state === "ERROR";
  if (!ended || now - entry.requestedAt <= LONG_PENDING_MS) return null;
  const params = { action: kindLabel(entry.kind), device: entry.deviceName || entry.serial };
  const acknowledged = entry.state === "ACKNOWLEDGED";
  const text = acknowledged
    ? t("toast.acknowledged", params)
    : t("toast.failed", { ...params, reason: failureText(entry) });
  return {
    id: `${entry.id}:${entry.state}`,
    entryId: entry.id,
    kind: acknowledged ? "acknowledged" : "failed",
    text,
  };
}

/** The browser's notifications, only where they exist and the user allowed them. */
function notifySystem(text: string): void {
  if (typeof Notification === "undefined" || Notification.permission !== "granted") return;
  try {
    new Notification(t("app.title"), { body: text });
  } catch {
    // Some webviews have the API but refuse to construct notifications; the toast remains.
  }
}
