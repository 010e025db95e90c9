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

export type Remediation = { deviceUuids: Array<string>; bundleId: string; kind: RemediationKind };

export type OrgRemediation = {
  orgUuid: string;
  orgName: string;
  licencesLeft: number;
  devices: number;
  willGet: number;
  willNot: number;
};

export type RemediationPreview = {
  app: AppRef | null;
  org: Array<OrgRemediation>;
  requested: Array<Requested>;
};

export type AppLicences = {
  bundleId: string;
  name: string;
  total: number;
  assigned: number;
  left: number;
};

export type DepProfileRow = { uuid: string; name: string; supervised: boolean; devices: number };

export type OrgLicences = {
  orgUuid: string;
  orgName: string;
  deviceLicencesUsed: number;
  deviceLicencesAssigned: number;
  apps: Array<AppLicences>;
  depProfiles: Array<DepProfileRow>;
};

export type LicenceReport = { orgs: Array<OrgLicences> };

export type ExportFormat = "csv" | "xlsx";

export type ExportRequest = {
  report: "compliance" | "district";
  format: ExportFormat;
  query: DeviceQuery;
  includeUserNames: boolean;
  path: string;
};

export type ExportOutcome = { path: string; rows: number };

export type ComplianceCommands = {
  compliance: { request: ComplianceQuery; response: ComplianceReport };
  device_compliance: { request: { uuid: string }; response: DeviceCompliance };
  remediation_preview: { request: Remediation; response: RemediationPreview };
  request_remediation: { request: Remediation; response: ActionOutcome };
  licences: { request: Record<string, never>; response: LicenceReport };
  export_report: { request: ExportRequest; response: ExportOutcome };
};
