// A stand-in for the desktop shell: answers every command from a seeded district of 50,000
// devices, the way the Rust side answers them, and records the calls.
import { vi } from "vitest";

import type { CommandName, CommandRequest, CommandResponse } from "../src/lib/api";
import type { AppError } from "../src/lib/bindings/AppError";
import type { AppState } from "../src/lib/bindings/AppState";
import type { DeviceDetail } from "../src/lib/bindings/DeviceDetail";
import type { DeviceQuery } from "../src/lib/bindings/DeviceQuery";
import type { DeviceRow } from "../src/lib/bindings/DeviceRow";
import type { Freshness } from "../src/lib/bindings/Freshness";
import type { Overview } from "../src/lib/bindings/Overview";
import type { ProfileInfo } from "../src/lib/bindings/ProfileInfo";
import type { SyncEvent } from "../src/lib/bindings/SyncEvent";
import { defaultSettings } from "../src/lib/session.svelte";

export const DEVICES = 50_000;
export const NOW = Date.UTC(2026, 11, 1, 9, 0);
const HOUR = 3600_000;

export const ORGS = [
  { uuid: "org-nord", name: "Gesamtschule Nord", kind: "SCHOOL", organisation: null },
  { uuid: "org-sued", name: "Grundschule Süd", kind: "SCHOOL", organisation: null },
];

export const PROD: ProfileInfo = {
  id: "p-prod",
  label: "PROD",
  server: "https://mdm.stadt.example",
  login: "bezirk.admin",
  displayName: "Bezirk Admin",
  role: "district admin",
  demo: false,
};

export const QM: ProfileInfo = {
  ...PROD,
  id: "p-qm",
  label: "QM-Test",
  server: "https://qm.example",
};

/** The device at `index` of the seeded district; serials are unique and sortable. */
export function device(index: number): DeviceRow {
  const org = ORGS[index % 2];
  return {
    uuid: `uuid-${index}`,
    organisation: org.name,
    name: `iPad ${String(index).padStart(5, "0")}`,
    serial: `DMPX${String(index).padStart(6, "0")}`,
    model: "iPad (9th generation)",
    osVersion: index % 3 === 0 ? "17.5.1" : "16.7.10",
    batteryPercent: index % 100,
    supervised: index % 4 !== 0,
    userLogin: `schueler${index}`,
    userName: `Schüler ${index}`,
    lastContact: NOW - (index % 40) * 24 * HOUR,
    compliance: index % 5 === 0 ? "NON_COMPLIANT" : "COMPLIANT",
    storageTotal: 64 * 1024 ** 3,
    storageFree: 20 * 1024 ** 3,
  };
}

function matches(row: DeviceRow, query: DeviceQuery): boolean {
  const search = query.search?.toLowerCase();
  if (search && !`${row.name} ${row.serial} ${row.userLogin}`.toLowerCase().includes(search)) {
    return false;
  }
  if (query.organisations.length > 0) {
    const org = ORGS.find((o) => o.name === row.organisation)!;
    if (!query.organisations.includes(org.uuid) && !query.organisations.includes(org.name)) {
      return false;
    }
  }
  if (query.supervised !== null && row.supervised !== query.supervised) return false;
  if (query.compliance !== null && row.compliance !== query.compliance) return false;
  if (query.batteryBelowPercent !== null && (row.batteryPercent ?? 0) >= query.batteryBelowPercent)
    return false;
  return true;
}

/** Counting by arithmetic keeps 50,000 devices cheap: only the page asked for is built. */
function findDevices(query: DeviceQuery) {
  const filtered =
    JSON.stringify({ ...query, sort: null, descending: null, limit: null, offset: null }) !==
    JSON.stringify({
      ...defaultSettings().inventory,
      sort: null,
      descending: null,
      limit: null,
      offset: null,
    });
  const indices = filtered
    ? Array.from({ length: DEVICES }, (_, i) => i).filter((i) => matches(device(i), query))
    : null;
  const total = indices?.length ?? DEVICES;
  const limit = query.limit ?? total;
  const rows: DeviceRow[] = [];
  for (let n = query.offset; n < Math.min(total, query.offset + limit); n++) {
    const position = query.descending ? total - 1 - n : n;
    rows.push(device(indices ? indices[position] : position));
  }
  return { rows, total };
}

export function detail(uuid: string): DeviceDetail {
  const row = device(Number(uuid.replace("uuid-", "")));
  return {
    ...row,
    modelIdentifier: "iPad12,1",
    platform: "iPadOS",
    sharedIpad: false,
    lostMode: false,
    enrolledAt: NOW - 400 * 24 * HOUR,
    enrollmentType: "DEP",
    groups: [{ uuid: "g-1", name: "Koffer 5a", kind: "CASE" }],
    policies: [{ uuid: "pol-1", name: "Unterricht", version: 3, published: true }],
    apps: [
      { bundleId: "com.apple.Pages", name: "Pages", version: "14.0", managed: true, sizeBytes: 1 },
      {
        bundleId: "de.schule.app",
        name: "Schul-App",
        version: "2.1",
        managed: false,
        sizeBytes: 1,
      },
    ],
  };
}

export function overview(): Overview {
  const bucket = (
    label: string,
    devices: number,
    filter: Partial<Overview["battery"][0]["filter"]>,
  ) => ({
    label,
    devices,
    filter: {
      organisation: null,
      osVersion: null,
      compliance: null,
      notSeenForDays: null,
      seenWithinDays: null,
      batteryBelowPercent: null,
      batteryAtLeastPercent: null,
      ...filter,
    },
  });
  return {
    devices: DEVICES,
    organisations: ORGS.map((org) => bucket(org.name, DEVICES / 2, { organisation: org.name })),
    osVersions: [
      bucket("17.5", 16_667, { osVersion: "17.5" }),
      bucket("16.7", 33_333, { osVersion: "16.7" }),
    ],
    lastContact: [
      bucket("seen.today", 1250, { seenWithinDays: 1 }),
      bucket("seen.week", 7500, { notSeenForDays: 1, seenWithinDays: 7 }),
      bucket("seen.month", 28_750, { notSeenForDays: 7, seenWithinDays: 30 }),
      bucket("seen.older", 12_500, { notSeenForDays: 30 }),
    ],
    battery: [
      bucket("battery.below20", 10_000, { batteryBelowPercent: 20 }),
      bucket("battery.below50", 15_000, { batteryAtLeastPercent: 20, batteryBelowPercent: 50 }),
      bucket("battery.below80", 15_000, { batteryAtLeastPercent: 50, batteryBelowPercent: 80 }),
      bucket("battery.full", 10_000, { batteryAtLeastPercent: 80 }),
    ],
    compliance: [
      bucket("COMPLIANT", 40_000, { compliance: "COMPLIANT" }),
      bucket("NON_COMPLIANT", 10_000, { compliance: "NON_COMPLIANT" }),
    ],
  };
}

export function freshness(reachable: boolean | null = true): Freshness {
  return {
    serverReachable: reachable,
    serverProblem:
      reachable === false ? "The server at mdm.stadt.example could not be reached." : null,
    syncing: false,
    organisations: ORGS.map((org) => ({
      uuid: org.uuid,
      name: org.name,
      kind: org.kind,
      devices: DEVICES / 2,
      lastSuccess: NOW - 5 * 60_000,
      lastAttempt: NOW - 5 * 60_000,
      lastError: null,
    })),
  };
}

export function appState(changes: Partial<AppState> = {}): AppState {
  return {
    profiles: [PROD, QM],
    activeProfileId: PROD.id,
    settings: { ...defaultSettings(), activeProfileId: PROD.id },
    syncing: false,
    ...changes,
  };
}

export function appError(changes: Partial<AppError>): AppError {
  return {
    code: "server_error",
    key: "server_failed",
    message: "It failed.",
    field: null,
    ...changes,
  };
}

type Handlers = {
  [K in CommandName]: (
    request: CommandRequest<K>,
  ) => Promise<CommandResponse<K>> | CommandResponse<K>;
};

/** The shell's answers; pass handlers to change some of them. */
export function fakeShell(overrides: Partial<Handlers> = {}, state: AppState = appState()) {
  const handlers: Handlers = {
    app_state: () => state,
    sign_in: () => PROD,
    switch_profile: ({ profileId }) => state.profiles.find((p) => p.id === profileId)!,
    forget_profile: () => ({ ...state, activeProfileId: null, profiles: [] }),
    save_settings: () => ({}),
    start_sync: () => ({ organisations: [] }),
    freshness: () => freshness(),
    check_server: () => freshness(),
    query_devices: (query) => findDevices(query),
    filter_choices: () => ({
      organisations: ORGS,
      groups: [{ uuid: "g-1", name: "Koffer 5a", kind: "CASE", organisation: ORGS[0].name }],
      osVersions: ["17.5.1", "16.7.10"],
    }),
    device_detail: ({ uuid }) => detail(uuid),
    overview: () => overview(),
    ...overrides,
  };
  const listeners: ((event: SyncEvent) => void)[] = [];
  return {
    call: async <K extends CommandName>(name: K, request: CommandRequest<K>) =>
      structuredClone(await handlers[name](request)),
    onSyncEvent: async (handler: (event: SyncEvent) => void) => {
      listeners.push(handler);
      return () => listeners.splice(listeners.indexOf(handler), 1);
    },
    emit: (event: SyncEvent) => listeners.forEach((listener) => listener(event)),
  };
}

/** The requests sent for one command, oldest first. */
export function requests<K extends CommandName>(
  call: ReturnType<typeof vi.fn>,
  name: K,
): CommandRequest<K>[] {
  return call.mock.calls.filter(([command]) => command === name).map(([, request]) => request);
}
