// Numbers, sizes and times the way the current language writes them.
import { i18n, t } from "./i18n/i18n.svelte";

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
// iPads report their storage in binary units; dividing by 2^30 gives the "64 GB" printed on the
// box and shown in the device's settings.
const GIB = 1024 ** 3;

export function formatCount(value: number): string {
  return new Intl.NumberFormat(i18n.locale).format(value);
}

export function formatGigabytes(bytes: number): string {
  const format = new Intl.NumberFormat(i18n.locale, {
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  });
  return format.format(bytes / GIB);
}

export function formatDateTime(ms: number | null): string {
  if (ms === null) return t("value.never");
  const format = new Intl.DateTimeFormat(i18n.locale, { dateStyle: "medium", timeStyle: "short" });
  return format.format(new Date(ms));
}

export function formatDate(ms: number | null): string {
  if (ms === null) return t("value.unknown");
  return new Intl.DateTimeFormat(i18n.locale, { dateStyle: "medium" }).format(new Date(ms));
}

/** "vor 5 Min.", "vor 3 Std.", "vor 2 Tagen"; "gerade eben" under a minute. */
export function formatAgo(ms: number | null, now: number): string {
  if (ms === null) return t("value.never");
  const elapsed = Math.max(0, now - ms);
  if (elapsed < MINUTE_MS) return t("time.justNow");
  const format = new Intl.RelativeTimeFormat(i18n.locale, { style: "short", numeric: "always" });
  if (elapsed < HOUR_MS) return format.format(-Math.floor(elapsed / MINUTE_MS), "minute");
  if (elapsed < DAY_MS) return format.format(-Math.floor(elapsed / HOUR_MS), "hour");
  return format.format(-Math.floor(elapsed / DAY_MS), "day");
}

/** "10:45": the time of day, as a lesson's end is told. */
export function formatTime(ms: number): string {
  return new Intl.DateTimeFormat(i18n.locale, { timeStyle: "short" }).format(new Date(ms));
}
