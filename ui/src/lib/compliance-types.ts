// The compliance commands' types as plan/contracts.md and koffer-core's compliance module
// declare them, until core-compliance's generated bindings land; then this file only
// re-exports them.
import type { ActionOutcome } from "./bindings/ActionOutcome";
import type { DeviceQuery } from "./bindings/DeviceQuery";
import type { Requested } from "./bindings/Requested";

export type KofferState = "compliant" | "nonCompliant" | "noPolicy";

export type AppRef = { bundleId: string; name: string };

export type ComplianceQuery = { query: DeviceQuery; onlyNonCompliant: boolean };

export type ComplianceRow = {
  deviceUuid: string;
  name: string;
  serial: string;
  orgUuid: string;
  orgName: string;
  userName: string | null;
  /** "COMPLIANT", "NON_COMPLIANT" or "UNKNOWN", at the device's last check-in. */
  serverState: string;
  koffer: KofferState;
  missing: Array<AppRef>;
  forbidden: Array<AppRef>;
  policies: Array<string>;
  disagrees: boolean;
};

export type ComplianceReport = {
  evaluatedAt: number;
  total: number;
  compliant: number;
  nonCompliant: number;
  noPolicy: number;
  disagreements: number;
  rows: Array<ComplianceRow>;
  more: number;
};

export type PolicyApplied = {
  uuid: string;
  name: string;
  version: number | null;
  newestVersion: number;
  active: boolean;
  timeWindows: Array<string>;
  listMode: string | null;
  apps: Array<AppRef>;
  requiredApps: Array<AppRef>;
};

export type DeviceCompliance = { row: ComplianceRow; policies: Array<PolicyApplied> };

export type RemediationKind = "install" | "remove";

export type Remediation = {
  deviceUuids: Array<string>;
  /** Every device these filters match that the remediation concerns; `deviceUuids` then unused. */
  query: DeviceQuery | null;
  bundleId: string;
  kind: RemediationKind;
};

export type OrgRemediation = {
  orgUuid: string;
  orgName: string;
  inCatalogue: boolean;
  /** `null` for a removal. */
  licencesLeft: number | null;
  devices: number;
  willGet: number;
  willNot: number;
};

/** Why nothing at all can be queued: "no_licences_left", "app_not_in_catalogue", "nothing_to_do". */
export type Refusal = { key: string; message: string };

export type RemediationPreview = {
  app: AppRef | null;
  kind: RemediationKind;
  orgs: Array<OrgRemediation>;
  requested: Array<Requested>;
  refusal: Refusal | null;
};

export type AppLicences = {
  bundleId: string;
  name: string;
  total: number;
  assigned: number;
  left: number;
  /** Installs Koffer queued that the synced counts do not include yet. */
  pending: number;
};

export type DepProfileView = {
  uuid: string;
  name: string;
  supervised: boolean;
  allowPairing: boolean;
  skipSetupItems: Array<string>;
  devices: number;
};

export type OrgLicences = {
  orgUuid: string;
  orgName: string;
  deviceLicencesUsed: number | null;
  deviceLicencesAssigned: number | null;
  apps: Array<AppLicences>;
  depProfiles: Array<DepProfileView>;
};

export type LicenceReport = { orgs: Array<OrgLicences> };

export type ExportFormat = "csv" | "xlsx";

export type ExportRequest = {
  report: "compliance" | "district";
  format: ExportFormat;
  query: DeviceQuery;
  onlyNonCompliant: boolean;
  includeUserNames: boolean;
  /** The file to write; `null`: the content comes back for a download link. */
  path: string | null;
};

export type ExportOutcome = {
  path: string | null;
  rows: number;
  fileName: string;
  mediaType: string;
  contentBase64: string | null;
};

export type ComplianceCommands = {
  compliance: { request: ComplianceQuery; response: ComplianceReport };
  device_compliance: { request: { uuid: string }; response: DeviceCompliance };
  remediation_preview: { request: Remediation; response: RemediationPreview };
  request_remediation: { request: Remediation; response: ActionOutcome };
  licences: { request: Record<string, never>; response: LicenceReport };
  export_report: { request: ExportRequest; response: ExportOutcome };
};
