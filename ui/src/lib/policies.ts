// Policies as the window writes them: time windows ("Mo–Fr 08:00–13:00"), versions, the
// values of a configuration, and what copying a template into a school changes.
import type { AppError } from "./bindings/AppError";
import { hasMessage, t, translateLabel } from "./i18n/i18n.svelte";

/** A time window as the server sends it: 1 = Monday … 7 = Sunday, "HH:MM" school time. */
export interface Window {
  weekday: number;
  start: string;
  end: string;
}

/** The weekday's short name ("Mo"), or the number when the server sent one out of range. */
export function weekdayName(weekday: number): string {
  const key = `weekday.${weekday}`;
  return hasMessage(key) ? t(key) : String(weekday);
}

/** "Mo 08:00–13:00". */
export function formatWindow(window: Window): string {
  return `${weekdayName(window.weekday)} ${window.start}–${window.end}`;
}

/**
 * The windows of a policy, one text per span of equal hours: three or more days in a row
 * share one entry ("Mo–Fr 08:00–13:00"), others stay one a day. Sorted by the first weekday.
 */
export function formatWindows(windows: readonly Window[]): string[] {
  const byHours = new Map<string, number[]>();
  for (const window of windows) {
    const hours = `${window.start}–${window.end}`;
    byHours.set(hours, [...(byHours.get(hours) ?? []), window.weekday]);
  }
  const spans: { first: number; text: string }[] = [];
  for (const [hours, days] of byHours) {
    for (const run of dayRuns([...new Set(days)].sort((a, b) => a - b))) {
      const text =
        run.length >= 3
          ? `${weekdayName(run[0])}–${weekdayName(run.at(-1)!)} ${hours}`
          : run.map((day) => `${weekdayName(day)} ${hours}`);
      for (const entry of Array.isArray(text) ? text : [text]) {
        spans.push({ first: run[0], text: entry });
      }
    }
  }
  return spans.sort((a, b) => a.first - b.first).map((span) => span.text);
}

/** Sorted days split where they are not consecutive: [1,2,3,5] → [[1,2,3],[5]]. */
function dayRuns(days: number[]): number[][] {
  const runs: number[][] = [];
  for (const day of days) {
    const last = runs.at(-1);
    if (last && day === last.at(-1)! + 1) last.push(day);
    else runs.push([day]);
  }
  return runs;
}

/** What the version line needs of a policy row. */
export interface Versioned {
  version: number;
  published: boolean;
  publishedVersion: number | null;
}

/**
 * "Version 4 · veröffentlicht", or for an unpublished newest version the one that takes
 * effect meanwhile: "Version 5 · nicht veröffentlicht (gültig: Version 4)".
 */
export function versionText(policy: Versioned): string {
  const version = t("policy.version", { version: policy.version });
  if (policy.published) return `${version} · ${t("policy.published")}`;
  const unpublished = `${version} · ${t("policy.unpublished")}`;
  if (policy.publishedVersion === null) return `${unpublished} (${t("policy.noneInEffect")})`;
  return `${unpublished} (${t("policy.inEffect", { version: policy.publishedVersion })})`;
}

/** A configuration's kind in words: "WLAN" for WIFI; unknown kinds as the server names them. */
export function kindName(kind: string): string {
  return translateLabel("configKind.", kind);
}

/** A value's key in words where the window knows it ("Kamera erlaubt" for allowCamera). */
export function keyName(key: string): string {
  return translateLabel("configKey.", key);
}

/** A value as the user reads it: yes/no for flags, lists with commas, "—" for none. */
export function valueText(value: string | null): string {
  if (value === null || value === "") return "—";
  if (value === "true") return t("value.yes");
  if (value === "false") return t("value.no");
  const list = parseList(value);
  if (list) return list.length === 0 ? "—" : list.join(", ");
  return translateLabel("configValue.", value);
}

function parseList(value: string): string[] | null {
  if (!value.startsWith("[")) return null;
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.map((item) => String(item)) : null;
  } catch {
    return null;
  }
}

/** A configuration: "WLAN „Schulnetz“". */
export function configurationTitle(configuration: { kind: string; name: string }): string {
  const kind = kindName(configuration.kind);
  if (!configuration.name) return kind;
  return t("policy.configurationTitle", { kind, name: configuration.name });
}

/** Whether a row's organisation is in the user's scope; an empty scope holds every one. */
export function inScope(row: { orgUuid: string; orgName: string }, scope: readonly string[]) {
  return scope.length === 0 || scope.includes(row.orgUuid) || scope.includes(row.orgName);
}

/** The server refused because the template or the school's policy changed meanwhile. */
export function isPolicyChanged(error: AppError): boolean {
  return (error.code as string) === "changed" || CHANGED_KEYS.includes(error.key);
}

const CHANGED_KEYS = ["policy_changed", "error.policyChanged", "policyChanged"];

/** What the window says when publishing failed in a way it explains itself; else null. */
export function publishProblem(error: AppError, orgName: string): string | null {
  if (error.code === "no_rights") return t("policy.publishNoRights", { org: orgName });
  if (isPolicyChanged(error)) return t("policy.publishChanged");
  return null;
}

/** The same for copying a template into a school. */
export function copyProblem(error: AppError, orgName: string): string | null {
  if (error.code === "no_rights") return t("copy.noRights", { org: orgName });
  if (isPolicyChanged(error)) return t("copy.changed");
  return null;
}

/** What the diff needs of a configuration change. */
export interface Change {
  kind: string;
  name: string;
  values: ValueDifference[];
}

/** One field of a configuration on both sides; for lists, the entries only one side has. */
export interface ValueDifference {
  key: string;
  template: string | null;
  copy: string | null;
  onlyInTemplate: string[];
  onlyInCopy: string[];
}

/** What copying a template into a school would change, as the diff of the two tells it. */
export interface CopyPlan {
  template: Versioned & { name: string; timeWindows: Window[] };
  copy: (Versioned & { timeWindows: Window[] }) | null;
  added: Change[];
  removed: Change[];
  changed: Change[];
  unchanged: number;
  /** The copy's time windows differ from the template's: copying sets the template's. */
  timeWindowsChanged: boolean;
}

/** "Mo–Fr 08:00–13:00, Sa 09:00–12:00", or "immer" for none. */
export function windowsText(windows: readonly Window[]): string {
  return windows.length === 0 ? t("policy.always") : formatWindows(windows).join(", ");
}

/**
 * What copying does to one field, school value first: "Kamera erlaubt: Ja → Nein"; for a list
 * the entries it adds and removes: "Apps: + Pages, Keynote; − TikTok".
 */
export function fieldChange(value: ValueDifference): string {
  const name = keyName(value.key);
  if (value.onlyInTemplate.length > 0 || value.onlyInCopy.length > 0) {
    const parts = [];
    if (value.onlyInTemplate.length > 0) parts.push(`+ ${value.onlyInTemplate.join(", ")}`);
    if (value.onlyInCopy.length > 0) parts.push(`− ${value.onlyInCopy.join(", ")}`);
    return `${name}: ${parts.join("; ")}`;
  }
  return `${name}: ${valueText(value.copy)} → ${valueText(value.template)}`;
}

/** The fields of a change that differ, as {@link fieldChange} writes them. */
export function changedValues(change: Change): string[] {
  return change.values.filter((value) => value.template !== value.copy).map(fieldChange);
}

/**
 * The confirmation's summary: the new version it creates (unpublished, so nothing changes on
 * the devices until someone publishes it in the school), and each configuration it adds,
 * removes or changes.
 */
export function copySummary(plan: CopyPlan, orgName: string) {
  const name = plan.template.name;
  const headline = plan.copy
    ? t("copy.summaryNewVersion", { name, org: orgName, version: plan.copy.version + 1 })
    : t("copy.summaryNewPolicy", { name, org: orgName });
  const lines: { key: string; label: string; items: string[] }[] = [];
  if (plan.added.length > 0) {
    lines.push({ key: "added", label: t("copy.adds"), items: plan.added.map(configurationTitle) });
  }
  if (plan.removed.length > 0) {
    const items = plan.removed.map(configurationTitle);
    lines.push({ key: "removed", label: t("copy.removes"), items });
  }
  if (plan.changed.length > 0) {
    const items = plan.changed.map(
      (change) => `${configurationTitle(change)}: ${changedValues(change).join("; ")}`,
    );
    lines.push({ key: "changed", label: t("copy.changes"), items });
  }
  if (plan.timeWindowsChanged && plan.copy) {
    const items = [
      t("copy.windowsChange", {
        from: windowsText(plan.copy.timeWindows),
        to: windowsText(plan.template.timeWindows),
      }),
    ];
    lines.push({ key: "windows", label: t("copy.windows"), items });
  }
  const unchanged =
    plan.unchanged === 1
      ? t("copy.unchangedCountOne")
      : t("copy.unchangedCount", { count: plan.unchanged });
  const inEffect = plan.copy?.published
    ? t("copy.stillInEffect", { version: plan.copy.version })
    : plan.copy?.publishedVersion
      ? t("copy.stillInEffect", { version: plan.copy.publishedVersion })
      : t("copy.nothingInEffect");
  return { headline, lines, unchanged, inEffect };
}
