// Generated from crates/koffer-app/src/commands.rs. Do not edit.
import type { AppState } from "./AppState";
import type { DeviceDetail } from "./DeviceDetail";
import type { DevicePage } from "./DevicePage";
import type { DeviceQuery } from "./DeviceQuery";
import type { DeviceRef } from "./DeviceRef";
import type { Empty } from "./Empty";
import type { FilterChoices } from "./FilterChoices";
import type { Freshness } from "./Freshness";
import type { Overview } from "./Overview";
import type { ProfileInfo } from "./ProfileInfo";
import type { ProfileRef } from "./ProfileRef";
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
};

export const SYNC_EVENT = "sync-progress";
