// The policy, template and district commands' types as crates/koffer-core declares them
// (policies/mod.rs, policies/diff.rs, compliance/district.rs), until their generated bindings
// land in ./bindings; then this file only re-exports them and `callPolicies` becomes `call`.
import { call } from "./api";
import type { DeviceQuery } from "./bindings/DeviceQuery";
import type { DeviceRef } from "./bindings/DeviceRef";
import type { Empty } from "./bindings/Empty";

export type PolicyQuery = { orgUuid: string | null };

export type TimeWindowView = { weekday: number; start: string; end: string };

export type ConfigurationView = {
  kind: string;
  name: string;
  values: { [key in string]?: string };
};

export type VersionView = {
  version: number;
  published: boolean;
  modifiedAt: number;
  timeWindows: Array<TimeWindowView>;
  configurations: Array<ConfigurationView>;
};

export type PolicyRow = {
  uuid: string;
  orgUuid: string;
  orgName: string;
  isTemplate: boolean;
  name: string;
  version: number;
  published: boolean;
  publishedVersion: number | null;
  groups: Array<string>;
  timeWindows: Array<TimeWindowView>;
  configurations: Array<ConfigurationView>;
  templateUuid: string | null;
  versions: Array<VersionView>;
};

export type ValueChange = {
  key: string;
  template: string | null;
  copy: string | null;
  onlyInTemplate: Array<string>;
  onlyInCopy: Array<string>;
};

export type ConfigurationChange = { kind: string; name: string; values: Array<ValueChange> };

export type TemplateRef = { templateUuid: string; orgUuid: string };

export type TemplateCopy = {
  templateUuid: string;
  orgUuid: string;
  expectedTemplateVersion: number;
  expectedTargetVersion: number | null;
};

export type TemplateDiff = {
  orgUuid: string;
  orgName: string;
  template: PolicyRow;
  copy: PolicyRow | null;
  templateVersion: number;
  copyVersion: number | null;
  added: Array<ConfigurationChange>;
  removed: Array<ConfigurationChange>;
  changed: Array<ConfigurationChange>;
  unchanged: number;
};

export type TemplateState = "same" | "differs" | "missing";

export type TemplateOverviewRow = {
  templateUuid: string;
  templateName: string;
  orgUuid: string;
  orgName: string;
  copyUuid: string | null;
  state: TemplateState;
  changes: number;
};

export type PublishRequest = { policyUuid: string; orgUuid: string; version: number };

export type OsCount = { version: string; devices: number };

export type SchoolFigures = {
  orgUuid: string;
  name: string;
  devices: number;
  compliant: number;
  nonCompliant: number;
  complianceRate: number | null;
  osVersions: Array<OsCount>;
  licencesUsed: number | null;
  licencesAssigned: number | null;
  notSeen30Days: number;
};

export type DistrictView = { evaluatedAt: number; schools: Array<SchoolFigures> };

export type PolicyCommands = {
  policies: { request: PolicyQuery; response: Array<PolicyRow> };
  device_policies: { request: DeviceRef; response: Array<PolicyRow> };
  template_overview: { request: Empty; response: Array<TemplateOverviewRow> };
  template_diff: { request: TemplateRef; response: TemplateDiff };
  copy_template: { request: TemplateCopy; response: TemplateDiff };
  publish_policy: { request: PublishRequest; response: PolicyRow };
  district: { request: DeviceQuery; response: DistrictView };
};

/** Calls one of these commands through `call`, typed by the declarations above. */
export function callPolicies<K extends keyof PolicyCommands>(
  name: K,
  request: PolicyCommands[K]["request"],
): Promise<PolicyCommands[K]["response"]> {
  const untyped = call as unknown as (name: string, request: unknown) => Promise<never>;
  return untyped(name, request);
}
