// AppErrors as the UI receives them, and what the window says about each.
import type { AppError } from "./bindings/AppError";
import type { AppErrorCode } from "./bindings/AppErrorCode";
import { hasMessage, t, type MessageKey } from "./i18n/i18n.svelte";

const CODES: readonly AppErrorCode[] = [
  "offline",
  "token_rejected",
  "no_rights",
  "server_error",
  "invalid_input",
  "local_storage",
  "not_signed_in",
  "changed",
];

export function isAppError(value: unknown): value is AppError {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Partial<AppError>;
  return (
    typeof candidate.code === "string" &&
    CODES.includes(candidate.code as AppErrorCode) &&
    typeof candidate.message === "string"
  );
}

/**
 * The shell rejects with an AppError; anything else (a missing command, a broken IPC bridge)
 * means the app itself is damaged, which the user can only report.
 */
export function toAppError(value: unknown): AppError {
  if (isAppError(value)) return { ...value, key: value.key ?? "", field: value.field ?? null };
  const message = value instanceof Error ? value.message : String(value);
  return { code: "server_error", key: "app_failed", message, field: null };
}

/** The headline: the translation of the error's key where there is one, else of its code. */
export function errorTitle(error: AppError): string {
  const byKey = `error.key.${error.key}`;
  return hasMessage(byKey) ? t(byKey) : t(`error.code.${error.code}` as MessageKey);
}

/** What the user can do about an error of this code. */
export function errorAdvice(error: AppError): string {
  return t(`error.advice.${error.code}` as MessageKey);
}

/** Errors after which only a new sign-in helps. */
export function needsSignIn(error: AppError): boolean {
  return error.code === "token_rejected" || error.code === "not_signed_in";
}
