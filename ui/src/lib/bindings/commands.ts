// Generated from crates/koffer-app/src/commands.rs. Do not edit.
import type { ActionOutcome } from "./ActionOutcome";
import type { ActionRef } from "./ActionRef";
import type { ActionRequest } from "./ActionRequest";
import type { AppState } from "./AppState";
import type { AuditEntry } from "./AuditEntry";
import type { DeviceDetail } from "./DeviceDetail";
import type { DevicePage } from "./DevicePage";
import type { DeviceQuery } from "./DeviceQuery";
import type { DeviceRef } from "./DeviceRef";
import type { Empty } from "./Empty";
import type { FilterChoices } from "./FilterChoices";
import type { Freshness } from "./Freshness";
import type { LedgerEntry } from "./LedgerEntry";
import type { LedgerRequest } from "./LedgerRequest";
import type { LocationAnswer } from "./LocationAnswer";
import type { Overview } from "./Overview";
import type { ProfileInfo } from "./ProfileInfo";
import type { ProfileRef } from "./ProfileRef";
import type { Requested } from "./Requested";
import type { Settings } from "./Settings";
import type { SignIn } from "./SignIn";
import type { SyncRequest } from "./SyncRequest";
import type { SyncSummary } from "./SyncSummary";

export type Commands = {
  app_state: { request: Empty; response: AppState };
  sign_in: { request: SignIn; response: ProfileInfo };
  switch_profile: { request: ProfileRef; response: ProfileInfo };
  forget_profile: { request: ProfileRef; response: AppState };
  save_settings: { request: Settings; response: Empty };
  start_sync: { request: SyncRequest; response: SyncSummary };
  freshness: { request: Empty; response: Freshness };
  check_server: { request: Empty; response: Freshness };
  query_devices: { request: DeviceQuery; response: DevicePage };
  filter_choices: { request: Empty; response: FilterChoices };
  device_detail: { request: DeviceRef; response: DeviceDetail };
  overview: { request: DeviceQuery; response: Overview };
  preview_action: { request: ActionRequest; response: Array<Requested> };
  request_action: { request: ActionRequest; response: ActionOutcome };
  ledger: { request: LedgerRequest; response: Array<LedgerEntry> };
  cancel_action: { request: ActionRef; response: LedgerEntry };
  retry_action: { request: ActionRef; response: Requested };
  device_location: { request: DeviceRef; response: LocationAnswer };
  audit_log: { request: Empty; response: Array<AuditEntry> };
};

export const SYNC_EVENT = "sync-progress";
export const LEDGER_EVENT = "ledger-changed";
