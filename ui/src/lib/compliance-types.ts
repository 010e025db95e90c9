// The compliance commands' types, generated from koffer-core (see bindings/); re-exported here
// for the views that took them from this file before the bindings landed.
export type { AppLicences } from "./bindings/AppLicences";
export type { AppRef } from "./bindings/AppRef";
export type { ComplianceQuery } from "./bindings/ComplianceQuery";
export type { ComplianceReport } from "./bindings/ComplianceReport";
export type { ComplianceRow } from "./bindings/ComplianceRow";
export type { DepProfileView } from "./bindings/DepProfileView";
export type { DeviceCompliance } from "./bindings/DeviceCompliance";
export type { ExportFormat } from "./bindings/ExportFormat";
export type { ExportOutcome } from "./bindings/ExportOutcome";
export type { ExportRequest } from "./bindings/ExportRequest";
export type { KofferState } from "./bindings/KofferState";
export type { LicenceReport } from "./bindings/LicenceReport";
export type { OrgLicences } from "./bindings/OrgLicences";
export type { OrgRemediation } from "./bindings/OrgRemediation";
export type { PolicyApplied } from "./bindings/PolicyApplied";
export type { Refusal } from "./bindings/Refusal";
export type { Remediation } from "./bindings/Remediation";
export type { RemediationKind } from "./bindings/RemediationKind";
export type { RemediationPreview } from "./bindings/RemediationPreview";
