// The policy and template commands, typed by their generated request and response types until
// the generated command list (bindings/commands.ts) names them too; then `callPolicies`
// becomes `call` and this file goes.
import { call } from "./api";
import type { DeviceRef } from "./bindings/DeviceRef";
import type { Empty } from "./bindings/Empty";
import type { PolicyQuery } from "./bindings/PolicyQuery";
import type { PolicyRow } from "./bindings/PolicyRow";
import type { PublishRequest } from "./bindings/PublishRequest";
import type { TemplateCopy } from "./bindings/TemplateCopy";
import type { TemplateDiff } from "./bindings/TemplateDiff";
import type { TemplateOverviewRow } from "./bindings/TemplateOverviewRow";
import type { TemplateRef } from "./bindings/TemplateRef";

export type { ConfigurationChange } from "./bindings/ConfigurationChange";
export type { DistrictView } from "./bindings/DistrictView";
export type { SchoolFigures } from "./bindings/SchoolFigures";
export type {
  PolicyQuery,
  PolicyRow,
  PublishRequest,
  TemplateCopy,
  TemplateDiff,
  TemplateOverviewRow,
  TemplateRef,
};

export type PolicyCommands = {
  policies: { request: PolicyQuery; response: Array<PolicyRow> };
  device_policies: { request: DeviceRef; response: Array<PolicyRow> };
  template_overview: { request: Empty; response: Array<TemplateOverviewRow> };
  template_diff: { request: TemplateRef; response: TemplateDiff };
  copy_template: { request: TemplateCopy; response: TemplateDiff };
  publish_policy: { request: PublishRequest; response: PolicyRow };
};

/** Calls one of these commands through `call`, typed by the declarations above. */
export function callPolicies<K extends keyof PolicyCommands>(
  name: K,
  request: PolicyCommands[K]["request"],
): Promise<PolicyCommands[K]["response"]> {
  const untyped = call as unknown as (name: string, request: unknown) => Promise<never>;
  return untyped(name, request);
}
