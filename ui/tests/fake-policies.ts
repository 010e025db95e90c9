// The policies side of the fake shell: two schools' policies, the district's templates, the
// comparison of a school's copy with its template, copying and publishing, and the district's
// figures per school. The shell's refusals (rights, a policy changed meanwhile) on request.
import type { vi } from "vitest";

import type { AppError } from "../src/lib/bindings/AppError";
import type { ConfigurationChange } from "../src/lib/bindings/ConfigurationChange";
import type { DistrictView } from "../src/lib/bindings/DistrictView";
import type { PolicyRow } from "../src/lib/bindings/PolicyRow";
import type { PublishRequest } from "../src/lib/bindings/PublishRequest";
import type { TemplateCopy } from "../src/lib/bindings/TemplateCopy";
import type { TemplateDiff } from "../src/lib/bindings/TemplateDiff";
import type { TemplateOverviewRow } from "../src/lib/bindings/TemplateOverviewRow";
import type { TemplateRef } from "../src/lib/bindings/TemplateRef";
import type { Commands } from "../src/lib/bindings/commands";

export const TEMPLATE_ORG = { uuid: "org-vorlagen", name: "Vorlagen" };
export const NORD = { uuid: "org-nord", name: "Gesamtschule Nord" };
export const SUED = { uuid: "org-sued", name: "Grundschule Süd" };

const LESSON_HOURS = [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: "08:00", end: "13:00" }));

function row(changes: Partial<PolicyRow> & Pick<PolicyRow, "uuid" | "name">): PolicyRow {
  return {
    orgUuid: NORD.uuid,
    orgName: NORD.name,
    isTemplate: false,
    version: 3,
    published: true,
    publishedVersion: 3,
    groups: ["Koffer 5a", "Klasse 7b"],
    timeWindows: [],
    configurations: [],
    templateUuid: null,
    versions: [],
    ...changes,
  };
}

const restrictions = (camera: boolean) => ({
  kind: "RESTRICTIONS",
  name: "Standard",
  values: { allowCamera: String(camera), allowAppInstallation: "false" },
});
const wifi = { kind: "WIFI", name: "Schul-WLAN", values: { ssid: "Schule", security: "WPA2" } };
const webClip = {
  kind: "WEB_CLIP",
  name: "Vertretungsplan",
  values: { label: "Plan", url: "https://plan.example" },
};
const apps = {
  kind: "APP_COMPLIANCE",
  name: "Unterricht",
  values: {
    listMode: "WHITELIST",
    apps: '["com.apple.Pages","de.schule.app"]',
    requiredApps: "[]",
  },
};

/** The template organisation's policies. */
export function templates(): PolicyRow[] {
  const inTemplates = {
    orgUuid: TEMPLATE_ORG.uuid,
    orgName: TEMPLATE_ORG.name,
    isTemplate: true,
    groups: [],
  };
  return [
    row({
      ...inTemplates,
      uuid: "tpl-lessons",
      name: "Unterricht mit Zeitfenster",
      version: 4,
      publishedVersion: 4,
      timeWindows: LESSON_HOURS,
      configurations: [apps, restrictions(false), wifi],
    }),
    row({
      ...inTemplates,
      uuid: "tpl-students",
      name: "Schüler-iPads",
      version: 2,
      publishedVersion: 2,
      configurations: [restrictions(true)],
    }),
  ];
}

export interface FakePolicies {
  rows: PolicyRow[];
  /** Organisations where copying and publishing answer "no rights". */
  noRights: Set<string>;
  /** The next copy answers "the policy changed", and the template gets a newer version. */
  changeBeforeNextCopy: boolean;
}

export function fakePolicies(changes: Partial<FakePolicies> = {}): FakePolicies {
  return {
    rows: [
      ...templates(),
      row({
        uuid: "nord-lessons",
        name: "Unterricht mit Zeitfenster",
        version: 2,
        publishedVersion: 2,
        templateUuid: "tpl-lessons",
        timeWindows: LESSON_HOURS,
        configurations: [apps, restrictions(true), webClip],
      }),
      row({
        uuid: "nord-students",
        name: "Schüler-iPads",
        version: 5,
        published: false,
        publishedVersion: 4,
        templateUuid: "tpl-students",
        configurations: [restrictions(true)],
      }),
      row({
        uuid: "sued-students",
        orgUuid: SUED.uuid,
        orgName: SUED.name,
        name: "Schüler-iPads",
        version: 1,
        templateUuid: "tpl-students",
        configurations: [restrictions(true)],
      }),
    ],
    noRights: new Set(),
    changeBeforeNextCopy: false,
    ...changes,
  };
}

function appError(changes: Partial<AppError>): AppError {
  return { code: "server_error", key: "server_failed", message: "", field: null, ...changes };
}

const key = (c: { kind: string; name: string }) => `${c.kind}/${c.name}`;

function whole(c: PolicyRow["configurations"][0], side: "template" | "copy"): ConfigurationChange {
  return {
    kind: c.kind,
    name: c.name,
    values: Object.entries(c.values).map(([field, value]) => ({
      key: field,
      template: side === "template" ? (value ?? null) : null,
      copy: side === "copy" ? (value ?? null) : null,
      onlyInTemplate: [],
      onlyInCopy: [],
    })),
  };
}

/** The comparison the shell computes (crates/koffer-core/src/policies/diff.rs), simplified. */
export function compare(world: FakePolicies, { templateUuid, orgUuid }: TemplateRef): TemplateDiff {
  const template = world.rows.find((r) => r.uuid === templateUuid)!;
  const copy = world.rows.find((r) => r.orgUuid === orgUuid && r.templateUuid === templateUuid);
  const theirs = new Map((copy?.configurations ?? []).map((c) => [key(c), c]));
  const org = [NORD, SUED].find((o) => o.uuid === orgUuid)!;
  const diff: TemplateDiff = {
    orgUuid,
    orgName: org.name,
    template: structuredClone(template),
    copy: copy ? structuredClone(copy) : null,
    templateVersion: template.version,
    copyVersion: copy?.version ?? null,
    added: [],
    removed: [],
    changed: [],
    unchanged: 0,
    timeWindowsChanged:
      copy !== undefined &&
      JSON.stringify(copy.timeWindows) !== JSON.stringify(template.timeWindows),
  };
  for (const c of template.configurations) {
    const other = theirs.get(key(c));
    theirs.delete(key(c));
    if (!other) {
      diff.added.push(whole(c, "template"));
      continue;
    }
    const values = Object.keys({ ...c.values, ...other.values })
      .filter((field) => c.values[field] !== other.values[field])
      .map((field) => ({
        key: field,
        template: c.values[field] ?? null,
        copy: other.values[field] ?? null,
        onlyInTemplate: [],
        onlyInCopy: [],
      }));
    if (values.length === 0) diff.unchanged += 1;
    else diff.changed.push({ kind: c.kind, name: c.name, values });
  }
  diff.removed = [...theirs.values()].map((c) => whole(c, "copy"));
  return diff;
}

export function overview(world: FakePolicies): TemplateOverviewRow[] {
  return world.rows
    .filter((r) => r.orgUuid === TEMPLATE_ORG.uuid)
    .flatMap((template) =>
      [NORD, SUED].map((org) => {
        const diff = compare(world, { templateUuid: template.uuid, orgUuid: org.uuid });
        const changes =
          diff.added.length +
          diff.removed.length +
          diff.changed.length +
          (diff.timeWindowsChanged ? 1 : 0);
        return {
          templateUuid: template.uuid,
          templateName: template.name,
          orgUuid: org.uuid,
          orgName: org.name,
          copyUuid: diff.copy?.uuid ?? null,
          state: diff.copy === null ? "missing" : changes === 0 ? "same" : "differs",
          changes,
        } satisfies TemplateOverviewRow;
      }),
    );
}

function refuseWithoutRights(world: FakePolicies, orgUuid: string) {
  if (!world.noRights.has(orgUuid)) return;
  const org = [NORD, SUED].find((o) => o.uuid === orgUuid)!;
  throw appError({
    code: "no_rights",
    key: "no_rights",
    message: `The token has no rights on ${org.name}.`,
  });
}

export function copyTemplate(world: FakePolicies, request: TemplateCopy): TemplateDiff {
  refuseWithoutRights(world, request.orgUuid);
  const template = world.rows.find((r) => r.uuid === request.templateUuid)!;
  if (world.changeBeforeNextCopy) {
    world.changeBeforeNextCopy = false;
    template.version += 1;
    template.publishedVersion = template.version;
    template.configurations = [...template.configurations, webClip];
  }
  const copy = world.rows.find(
    (r) => r.orgUuid === request.orgUuid && r.templateUuid === request.templateUuid,
  );
  if (
    template.version !== request.expectedTemplateVersion ||
    (copy?.version ?? null) !== request.expectedTargetVersion
  ) {
    throw appError({
      code: "invalid_input",
      key: "policy_changed",
      message:
        "The policy Unterricht mit Zeitfenster changed on the server since Koffer showed it.",
    });
  }
  const configurations = structuredClone(template.configurations);
  if (copy) {
    copy.version += 1;
    copy.published = false;
    copy.configurations = configurations;
    copy.timeWindows = structuredClone(template.timeWindows);
  } else {
    const org = [NORD, SUED].find((o) => o.uuid === request.orgUuid)!;
    world.rows.push(
      row({
        uuid: `${org.uuid}-${template.uuid}`,
        orgUuid: org.uuid,
        orgName: org.name,
        name: template.name,
        version: 1,
        published: false,
        publishedVersion: null,
        groups: [],
        templateUuid: template.uuid,
        timeWindows: template.timeWindows,
        configurations,
      }),
    );
  }
  return compare(world, request);
}

export function publish(world: FakePolicies, request: PublishRequest): PolicyRow {
  refuseWithoutRights(world, request.orgUuid);
  const policy = world.rows.find(
    (r) => r.uuid === request.policyUuid && r.orgUuid === request.orgUuid,
  )!;
  policy.published = true;
  policy.publishedVersion = request.version;
  return policy;
}

export function district(): DistrictView {
  return {
    evaluatedAt: Date.UTC(2026, 11, 1, 9, 0),
    schools: [
      {
        orgUuid: NORD.uuid,
        name: NORD.name,
        devices: 25_000,
        compliant: 20_000,
        nonCompliant: 5_000,
        complianceRate: 0.8,
        osVersions: [
          { version: "17.5", devices: 8_334 },
          { version: "16.7", devices: 16_666 },
        ],
        licencesUsed: 1_200,
        licencesAssigned: 1_500,
        notSeen30Days: 6_250,
      },
      {
        orgUuid: SUED.uuid,
        name: SUED.name,
        devices: 25_000,
        compliant: 22_500,
        nonCompliant: 2_500,
        complianceRate: 0.9,
        osVersions: [
          { version: "17.5", devices: 8_333 },
          { version: "16.7", devices: 16_667 },
        ],
        licencesUsed: 800,
        licencesAssigned: 900,
        notSeen30Days: 6_250,
      },
    ],
  };
}

/** The shell's answers to the policy and district commands, from `world`. */
export function policyHandlers(world: FakePolicies = fakePolicies()) {
  return {
    policies: ({ orgUuid }: { orgUuid: string | null }) =>
      world.rows.filter((r) => orgUuid === null || r.orgUuid === orgUuid),
    device_policies: () => world.rows.filter((r) => r.uuid === "nord-lessons"),
    template_overview: () => overview(world),
    template_diff: (request: TemplateRef) => compare(world, request),
    copy_template: (request: TemplateCopy) => copyTemplate(world, request),
    publish_policy: (request: PublishRequest) => publish(world, request),
  };
}

/** The requests sent for one of these commands, oldest first. */
export function sent<K extends keyof Commands>(
  call: ReturnType<typeof vi.fn>,
  name: K,
): Commands[K]["request"][] {
  return call.mock.calls.filter(([command]) => command === name).map(([, request]) => request);
}
