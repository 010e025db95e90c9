// The compliance side of the fake shell: a report over the first devices of the seeded
// district, remediation previews that count VPP licences per organisation the way the shell
// does, licences and DEP profiles, and the exports asked for.
import type { CommandName, CommandRequest, CommandResponse } from "../src/lib/api";
import type { AppRef } from "../src/lib/bindings/AppRef";
import type { Check } from "../src/lib/bindings/Check";
import type { ComplianceQuery } from "../src/lib/bindings/ComplianceQuery";
import type { ComplianceRow } from "../src/lib/bindings/ComplianceRow";
import type { ExportRequest } from "../src/lib/bindings/ExportRequest";
import type { LicenceReport } from "../src/lib/bindings/LicenceReport";
import type { Remediation } from "../src/lib/bindings/Remediation";
import type { RemediationPreview } from "../src/lib/bindings/RemediationPreview";
import { device, ledgerEntry, NOW, ORGS, type FakeActions } from "./fake-shell";

export const KEYNOTE: AppRef = { bundleId: "com.apple.Keynote", name: "Keynote" };
export const TIKTOK: AppRef = { bundleId: "com.zhiliaoapp.musically", name: "TikTok" };
/** Devices in the report: indices 0 … REPORTED - 1 of the seeded district. */
export const REPORTED = 40;

/** Device i misses Keynote when i % 5 == 0 (the server agrees), has TikTok when i % 7 == 0. */
export function complianceRow(index: number): ComplianceRow {
  const row = device(index);
  const org = ORGS[index % 2];
  const missing = index % 5 === 0 ? [KEYNOTE] : [];
  const forbidden = index % 7 === 0 ? [TIKTOK] : [];
  const koffer = missing.length + forbidden.length > 0 ? "nonCompliant" : "compliant";
  const serverState = row.compliance ?? "UNKNOWN";
  return {
    deviceUuid: row.uuid,
    name: row.name,
    serial: row.serial,
    orgUuid: org.uuid,
    orgName: org.name,
    userName: row.userName,
    serverState,
    koffer,
    missing,
    forbidden,
    policies: ["Unterricht"],
    disagrees: (koffer === "compliant") !== (serverState === "COMPLIANT"),
  };
}

export interface FakeCompliance {
  rows: ComplianceRow[];
  /** VPP licences left, by organisation uuid and bundle id. */
  licencesLeft: Record<string, Record<string, number>>;
  /** Bundle ids in the catalogue. */
  catalogue: Set<string>;
  exports: ExportRequest[];
}

export function fakeCompliance(changes: Partial<FakeCompliance> = {}): FakeCompliance {
  return {
    rows: Array.from({ length: REPORTED }, (_, i) => complianceRow(i)),
    licencesLeft: {
      "org-nord": { [KEYNOTE.bundleId]: 2 },
      "org-sued": { [KEYNOTE.bundleId]: 0 },
    },
    catalogue: new Set([KEYNOTE.bundleId, TIKTOK.bundleId]),
    exports: [],
    ...changes,
  };
}

function matches(row: ComplianceRow, request: ComplianceQuery): boolean {
  const { query } = request;
  if (request.onlyNonCompliant && row.koffer !== "nonCompliant") return false;
  if (query.organisations.length > 0 && !query.organisations.includes(row.orgUuid)) {
    if (!query.organisations.includes(row.orgName)) return false;
  }
  const search = query.search?.toLowerCase();
  return !search || `${row.name} ${row.serial}`.toLowerCase().includes(search);
}

function report(world: FakeCompliance, request: ComplianceQuery) {
  const rows = world.rows.filter((row) => matches(row, request));
  const all = world.rows.filter((row) => matches(row, { ...request, onlyNonCompliant: false }));
  const count = (state: string) => all.filter((row) => row.koffer === state).length;
  return {
    evaluatedAt: NOW,
    total: all.length,
    compliant: count("compliant"),
    nonCompliant: count("nonCompliant"),
    noPolicy: count("noPolicy"),
    disagreements: all.filter((row) => row.disagrees).length,
    rows,
    more: 0,
  };
}

function indexOf(uuid: string): number {
  return Number(uuid.replace("uuid-", ""));
}

/** The devices asked for: those chosen, or those the query matches that the app concerns. */
function asked(world: FakeCompliance, request: Remediation): string[] {
  if (request.query === null) return request.deviceUuids;
  const query = { query: request.query, onlyNonCompliant: true };
  const concerned = (row: ComplianceRow) =>
    (request.kind === "install" ? row.missing : row.forbidden).some(
      (app) => app.bundleId === request.bundleId,
    );
  return world.rows.filter((row) => matches(row, query) && concerned(row)).map((r) => r.deviceUuid);
}

/** Supervised devices get the app while licences last; the others are told why not. */
function preview(world: FakeCompliance, request: Remediation): RemediationPreview {
  const deviceUuids = asked(world, request);
  const app = world.catalogue.has(request.bundleId)
    ? ([KEYNOTE, TIKTOK].find((a) => a.bundleId === request.bundleId) ?? null)
    : null;
  const left = Object.fromEntries(
    ORGS.map((org) => [org.uuid, world.licencesLeft[org.uuid]?.[request.bundleId] ?? 0]),
  );
  const used: Record<string, number> = {};
  const requested = deviceUuids.map((uuid) => {
    const row = device(indexOf(uuid));
    const org = ORGS[indexOf(uuid) % 2];
    const checks: Check[] = [];
    if (request.kind === "install" && !row.supervised) {
      checks.push({
        key: "supervised",
        verdict: "block",
        message: "The device is not supervised.",
      });
    } else if (request.kind === "install" && (used[org.uuid] ?? 0) >= left[org.uuid]) {
      checks.push({
        key: "licences",
        verdict: "block",
        message: `No VPP licence for Keynote is left in ${org.name}.`,
      });
    } else {
      used[org.uuid] = (used[org.uuid] ?? 0) + 1;
      checks.push({ key: "supervised", verdict: "pass", message: "The device is supervised." });
    }
    const canSend = checks.every((check) => check.verdict !== "block");
    return {
      deviceUuid: uuid,
      deviceName: row.name,
      preflight: { checks, duplicateOf: null, canSend },
      actionId: null,
    };
  });
  const org = ORGS.map((o) => {
    const mine = deviceUuids.filter((uuid) => ORGS[indexOf(uuid) % 2].uuid === o.uuid);
    const willGet = used[o.uuid] ?? 0;
    return {
      orgUuid: o.uuid,
      orgName: o.name,
      inCatalogue: app !== null,
      licencesLeft: request.kind === "install" ? left[o.uuid] : null,
      devices: mine.length,
      willGet,
      willNot: mine.length - willGet,
    };
  }).filter((o) => o.devices > 0);
  const refusal =
    app === null
      ? { key: "app_not_in_catalogue", message: "The app is not in the catalogue." }
      : requested.every((r) => !r.preflight.canSend)
        ? { key: "no_licences_left", message: "No licence is left." }
        : null;
  return { app, kind: request.kind, orgs: org, requested, refusal };
}

function remediate(world: FakeCompliance, actions: FakeActions, request: Remediation) {
  const answer = preview(world, request);
  if (answer.requested.every((r) => !r.preflight.canSend)) {
    throw {
      code: "invalid_input",
      key: "no_licences_left",
      field: null,
      message: `No licence is left: ${answer.requested.length} devices would not get the app.`,
    };
  }
  const requested = answer.requested.map((r) => {
    if (!r.preflight.canSend) return r;
    const id = (actions.ledger.at(-1)?.id ?? 0) + 1;
    const kind = request.kind === "install" ? "INSTALL_APP" : "REMOVE_APP";
    actions.ledger.push(
      ledgerEntry(indexOf(r.deviceUuid), { id, kind, state: "QUEUED", requestedAt: NOW }),
    );
    return { ...r, actionId: id };
  });
  return {
    requested,
    flush: { accepted: requested.length, rejected: 0, waiting: 0, problem: null },
  };
}

function licences(world: FakeCompliance): LicenceReport {
  return {
    orgs: ORGS.map((org) => {
      const left = world.licencesLeft[org.uuid]?.[KEYNOTE.bundleId] ?? 0;
      return {
        orgUuid: org.uuid,
        orgName: org.name,
        deviceLicencesUsed: 480,
        deviceLicencesAssigned: 500,
        apps: [
          { ...KEYNOTE, total: 300, assigned: 300 - left, left, pending: 0 },
          {
            bundleId: "com.apple.Pages",
            name: "Pages",
            total: 200,
            assigned: 50,
            left: 150,
            pending: 3,
          },
        ],
        depProfiles: [
          {
            uuid: `dep-${org.uuid}`,
            name: "Schul-iPads",
            supervised: true,
            allowPairing: false,
            skipSetupItems: ["Siri"],
            devices: 412,
          },
        ],
      };
    }),
  };
}

type Compliance =
  | "compliance"
  | "device_compliance"
  | "remediation_preview"
  | "request_remediation"
  | "licences"
  | "export_report";

type Handlers = {
  [K in Compliance & CommandName]: (request: CommandRequest<K>) => CommandResponse<K>;
};

/** The fake shell's answers to the compliance commands, from `world`; hand them to openApp. */
export function complianceHandlers(world: FakeCompliance, actions: FakeActions): Handlers {
  return {
    compliance: (request) => report(world, request),
    device_compliance: ({ uuid }) => ({
      row: world.rows.find((row) => row.deviceUuid === uuid) ?? complianceRow(indexOf(uuid)),
      policies: [
        {
          uuid: "pol-1",
          name: "Unterricht",
          version: 3,
          newestVersion: 4,
          active: true,
          timeWindows: [1, 2, 3, 4, 5].map((weekday) => ({
            weekday,
            start: "07:30",
            end: "13:15",
          })),
          listMode: "BLACKLIST",
          apps: [TIKTOK],
          requiredApps: [KEYNOTE],
        },
      ],
    }),
    remediation_preview: (request) => preview(world, request),
    request_remediation: (request) => remediate(world, actions, request),
    licences: () => licences(world),
    export_report: (request) => {
      world.exports.push(request);
      const content = request.format === "csv" ? "Gerät;Seriennummer\r\n" : "PK-xlsx";
      return {
        path: null,
        rows: 40,
        fileName: `koffer-compliance-2026-12-01.${request.format}`,
        mediaType: request.format === "csv" ? "text/csv" : "application/vnd.ms-excel",
        contentBase64: btoa(content),
      };
    },
  };
}
