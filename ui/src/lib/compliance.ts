// Compliance as the window shows it: which devices a remediation goes to, what
// its preview says per organisation, and how full a licence pool is.
import type { AppRef } from "./bindings/AppRef";
import type { ComplianceRow } from "./bindings/ComplianceRow";
import type { KofferState } from "./bindings/KofferState";
import type { OrgRemediation } from "./bindings/OrgRemediation";
import type { RemediationKind } from "./bindings/RemediationKind";
import type { RemediationPreview } from "./bindings/RemediationPreview";
import { formatCount } from "./format";
import { t } from "./i18n/i18n.svelte";
import type { SelectedDevice } from "./selection.svelte";

/** A device a remediation may go to, with what it lacks and what it must not have. */
export interface RemediationTarget extends SelectedDevice {
  missing: AppRef[];
  forbidden: AppRef[];
}

export function targetOf(row: ComplianceRow): RemediationTarget {
  return {
    uuid: row.deviceUuid,
    name: row.name,
    serial: row.serial,
    missing: row.missing,
    forbidden: row.forbidden,
  };
}

/** The apps a remediation of this kind can fix on the targets, most devices first. */
export function appChoices(
  targets: readonly RemediationTarget[],
  kind: RemediationKind,
): { app: AppRef; devices: number }[] {
  const counts = new Map<string, { app: AppRef; devices: number }>();
  for (const target of targets) {
    for (const app of kind === "install" ? target.missing : target.forbidden) {
      const known = counts.get(app.bundleId);
      if (known) known.devices += 1;
      else counts.set(app.bundleId, { app, devices: 1 });
    }
  }
  return [...counts.values()].sort(
    (a, b) => b.devices - a.devices || a.app.name.localeCompare(b.app.name),
  );
}

/** The targets the app is to be installed on (those missing it) or removed from (those with it). */
export function targetsFor(
  targets: readonly RemediationTarget[],
  kind: RemediationKind,
  bundleId: string,
): RemediationTarget[] {
  return targets.filter((target) => {
    const apps = kind === "install" ? target.missing : target.forbidden;
    return apps.some((app) => app.bundleId === bundleId);
  });
}

/** The preview's sums over all organisations. */
export function previewTotals(preview: RemediationPreview) {
  const sum = (pick: (org: OrgRemediation) => number) =>
    preview.orgs.reduce((total, org) => total + pick(org), 0);
  return {
    devices: sum((o) => o.devices),
    willGet: sum((o) => o.willGet),
    willNot: sum((o) => o.willNot),
  };
}

/** Organisations where some devices go without the app because no licence is left for them. */
export function shortOfLicences(preview: RemediationPreview): OrgRemediation[] {
  return preview.orgs.filter(
    (org) =>
      org.inCatalogue &&
      org.licencesLeft !== null &&
      org.willNot > 0 &&
      org.licencesLeft <= org.willGet,
  );
}

/** A refusal of the whole request in the window's words. */
export function refusalText(preview: RemediationPreview, appName: string, bundleId: string) {
  const refusal = preview.refusal;
  if (refusal === null) return null;
  switch (refusal.key) {
    case "no_licences_left":
      return t("remediation.refusedNoLicences", {
        app: appName,
        count: formatCount(previewTotals(preview).willNot),
      });
    case "app_not_in_catalogue":
      return t("remediation.notInCatalogue", { app: bundleId });
    case "nothing_to_do":
      return t("remediation.nothing");
    default:
      return refusal.message;
  }
}

/** How a licence pool is used, for its bar: the share assigned, and how tight it is. */
export function licenceLevel(assigned: number, total: number) {
  const share = total <= 0 ? 1 : Math.min(1, Math.max(0, assigned / total));
  const left = Math.max(0, total - assigned);
  const level = left === 0 ? "empty" : share >= 0.9 ? "low" : "ok";
  return { percent: Math.round(share * 100), left, level };
}

/** Apps named in a policy's line before the rest are counted. */
const NAMED_APPS = 8;

/** The first apps' names, and how many more there are. */
export function appNames(apps: readonly AppRef[]): string {
  const named = apps.slice(0, NAMED_APPS).map((app) => app.name);
  if (apps.length > NAMED_APPS) {
    named.push(t("bulk.more", { count: formatCount(apps.length - NAMED_APPS) }));
  }
  return named.join(", ");
}

export function kofferLabel(state: KofferState): string {
  return t(`complianceView.koffer.${state}`);
}
