// A stand-in for the desktop shell: answers every command from a seeded district of 50,000
// devices, the way the Rust side answers them, and records the calls. Actions go through a
// preflight with the shell's checks into a ledger held here.
import { vi } from "vitest";

import type { CommandName, CommandRequest, CommandResponse } from "../src/lib/api";
import type { ActionParameters } from "../src/lib/bindings/ActionParameters";
import type { ActionRequest } from "../src/lib/bindings/ActionRequest";
import type { ActionType } from "../src/lib/bindings/ActionType";
import type { AppError } from "../src/lib/bindings/AppError";
import type { AppState } from "../src/lib/bindings/AppState";
import type { AuditEntry } from "../src/lib/bindings/AuditEntry";
import type { EraseFollowUp } from "../src/lib/bindings/EraseFollowUp";
import type { Check } from "../src/lib/bindings/Check";
import type { DeviceLocation } from "../src/lib/bindings/DeviceLocation";
import type { LedgerEntry } from "../src/lib/bindings/LedgerEntry";
import type { Preflight } from "../src/lib/bindings/Preflight";
import type { Requested } from "../src/lib/bindings/Requested";
import type { DeviceDetail } from "../src/lib/bindings/DeviceDetail";
import type { DeviceQuery } from "../src/lib/bindings/DeviceQuery";
import type { DeviceRow } from "../src/lib/bindings/DeviceRow";
import type { Freshness } from "../src/lib/bindings/Freshness";
import type { Overview } from "../src/lib/bindings/Overview";
import type { ProfileInfo } from "../src/lib/bindings/ProfileInfo";
import type { SyncEvent } from "../src/lib/bindings/SyncEvent";
import type { ClassSummary } from "../src/lib/bindings/ClassSummary";
import type { ClassView } from "../src/lib/bindings/ClassView";
import type { LessonCommandOutcome } from "../src/lib/bindings/LessonCommandOutcome";
import type { LessonCommandRequest } from "../src/lib/bindings/LessonCommandRequest";
import type { Skipped } from "../src/lib/bindings/Skipped";
import type { StartLesson } from "../src/lib/bindings/StartLesson";
import type { Tile } from "../src/lib/bindings/Tile";
import { defaultSettings } from "../src/lib/session.svelte";
import { policyHandlers } from "./fake-policies";

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
export function findDevices(query: DeviceQuery) {
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

/** The actions side of the fake shell: the ledger, lost mode, locations and the server. */
export interface FakeActions {
  /** Oldest first; the ledger command answers newest first. */
  ledger: LedgerEntry[];
  audit: AuditEntry[];
  eraseFollowUps: EraseFollowUp[];
  /** Devices in lost mode as the cache knows it. */
  lostMode: Set<string>;
  locations: Map<string, DeviceLocation>;
  keptHours: number;
  /** false: the outbox cannot be sent, queued actions wait in it. */
  serverReachable: boolean;
  /** Devices whose actions the server refuses, with its message. */
  refuse: Map<string, string>;
  login: string;
}

export function fakeActions(changes: Partial<FakeActions> = {}): FakeActions {
  return {
    ledger: [],
    audit: [],
    eraseFollowUps: [],
    lostMode: new Set(),
    locations: new Map(),
    keptHours: 24,
    serverReachable: true,
    refuse: new Map(),
    login: PROD.login,
    ...changes,
  };
}

/** A ledger entry for the device at `index`; the fields not given are a fresh lock. */
export function ledgerEntry(index: number, changes: Partial<LedgerEntry> = {}): LedgerEntry {
  const row = device(index);
  return {
    id: index + 1,
    deviceUuid: row.uuid,
    orgUuid: ORGS[index % 2].uuid,
    deviceName: row.name,
    serial: row.serial,
    kind: "DEVICE_LOCK",
    state: "QUEUED",
    requestedBy: PROD.login,
    requestedAt: NOW - 60_000,
    updatedAt: NOW - 30_000,
    serverUuid: `server-${index}`,
    errorCode: null,
    errorMessage: null,
    batch: null,
    ...changes,
  };
}

const FINAL_STATES = ["ACKNOWLEDGED", "ERROR", "CANCELLED", "REJECTED"];
const NEEDS_SUPERVISION: ActionType[] = [
  "ENABLE_LOST_MODE",
  "DISABLE_LOST_MODE",
  "PLAY_LOST_MODE_SOUND",
  "DEVICE_LOCATION",
  "RESTART_DEVICE",
  "SHUT_DOWN_DEVICE",
  "INSTALL_APP",
];
const NEEDS_LOST_MODE: ActionType[] = [
  "DISABLE_LOST_MODE",
  "PLAY_LOST_MODE_SOUND",
  "DEVICE_LOCATION",
];

function indexOf(uuid: string): number {
  return Number(uuid.replace("uuid-", ""));
}

/** The shell's checks (crates/koffer-core/src/actions/preflight.rs), with its messages. */
function fakePreflight(
  kind: ActionType,
  parameters: ActionParameters,
  uuid: string,
  world: FakeActions,
): Preflight {
  const row = device(indexOf(uuid));
  const lost = world.lostMode.has(uuid);
  const checks: Check[] = [];
  const check = (key: string, verdict: Check["verdict"], message: string) =>
    checks.push({ key, verdict, message });
  const text = (value?: string) => (value ?? "").trim();
  if (kind === "ENABLE_LOST_MODE" && !text(parameters.message) && !text(parameters.phoneNumber)) {
    check("parameters", "block", "Lost mode needs a message or a phone number.");
  }
  if (NEEDS_SUPERVISION.includes(kind)) {
    if (row.supervised) check("supervised", "pass", "The device is supervised.");
    else check("supervised", "block", "The device is not supervised; Apple allows this action …");
  }
  if (NEEDS_LOST_MODE.includes(kind)) {
    if (lost) check("lost_mode", "pass", "The device is in lost mode.");
    else check("lost_mode", "block", "The device is not in lost mode (Apple error 12067).");
  }
  const duplicate = world.ledger.find(
    (entry) =>
      entry.deviceUuid === uuid && entry.kind === kind && !FINAL_STATES.includes(entry.state),
  );
  if (duplicate) check("duplicate", "block", "The same action is already pending.");
  const days = Math.floor((NOW - (row.lastContact ?? 0)) / (24 * 3600_000));
  if (days < 1) check("last_contact", "pass", "The device checked in today.");
  else check("last_contact", "note", `The device last checked in ${days} days ago.`);
  if (kind === "RESTART_DEVICE") check("restart", "note", "A passcode-locked iPad stays off …");
  if (kind === "ERASE_DEVICE") check("erase", "note", "All data on the device is erased …");
  const canSend = checks.every((c) => c.verdict !== "block");
  return { checks, duplicateOf: duplicate?.id ?? null, canSend };
}

function preview(request: ActionRequest, world: FakeActions): Requested[] {
  return request.deviceUuids.map((uuid) => ({
    deviceUuid: uuid,
    deviceName: device(indexOf(uuid)).name,
    preflight: fakePreflight(request.kind, request.parameters, uuid, world),
    actionId: null,
  }));
}

function enqueue(world: FakeActions, uuid: string, kind: string, batch: number | null): number {
  const index = indexOf(uuid);
  const id = (world.ledger.at(-1)?.id ?? 0) + 1;
  world.ledger.push(
    ledgerEntry(index, {
      id,
      kind,
      state: "OUTBOX",
      requestedBy: world.login,
      requestedAt: NOW,
      updatedAt: NOW,
      serverUuid: null,
      batch,
    }),
  );
  if (kind === "DEVICE_LOCATION" || kind === "ERASE_DEVICE") {
    const row = device(index);
    world.audit.unshift({
      at: NOW,
      who: world.login,
      what: kind,
      deviceUuid: uuid,
      serial: row.serial,
      deviceName: row.name,
    });
  }
  return id;
}

/** Sends the outbox: queued on the server, refused, or left waiting when it is unreachable. */
function flush(world: FakeActions) {
  const report = { accepted: 0, rejected: 0, waiting: 0, problem: null as string | null };
  for (const entry of world.ledger.filter((e) => e.state === "OUTBOX")) {
    if (!world.serverReachable) {
      report.waiting += 1;
      report.problem = "The server at mdm.stadt.example could not be reached.";
      entry.errorMessage = report.problem;
    } else if (world.refuse.has(entry.deviceUuid)) {
      entry.state = "REJECTED";
      entry.errorMessage = world.refuse.get(entry.deviceUuid)!;
      report.rejected += 1;
    } else {
      entry.state = "QUEUED";
      entry.serverUuid = `server-${entry.id}`;
      entry.errorMessage = null;
      report.accepted += 1;
    }
  }
  return report;
}

function requestAction(request: ActionRequest, world: FakeActions) {
  if (request.kind === "ERASE_DEVICE") {
    const row = device(indexOf(request.deviceUuids[0]));
    const typed = (request.eraseConfirmation ?? "").trim();
    const confirmed =
      typed !== "" && (typed === row.name || typed.toLowerCase() === row.serial.toLowerCase());
    if (!confirmed) {
      throw appError({
        code: "invalid_input",
        key: "erase_not_confirmed",
        field: "confirmation",
        message: "Type the device's name or serial number to confirm the erase.",
      });
    }
  }
  const batch = request.deviceUuids.length > 1 ? 1 : null;
  const requested = preview(request, world).map((answer) =>
    answer.preflight.canSend
      ? { ...answer, actionId: enqueue(world, answer.deviceUuid, request.kind, batch) }
      : answer,
  );
  return { requested, flush: flush(world) };
}

function cancelAction(id: number, world: FakeActions): LedgerEntry {
  const entry = world.ledger.find((e) => e.id === id)!;
  if (!["OUTBOX", "QUEUED", "NOT_NOW"].includes(entry.state)) {
    throw appError({ code: "invalid_input", key: "invalid_input", message: "Already fetched." });
  }
  entry.state = "CANCELLED";
  return entry;
}

function retryAction(id: number, world: FakeActions): Requested {
  const entry = world.ledger.find((e) => e.id === id)!;
  const request = {
    deviceUuids: [entry.deviceUuid],
    kind: entry.kind as ActionType,
    parameters: { message: "x", phoneNumber: "x" },
    eraseConfirmation: device(indexOf(entry.deviceUuid)).serial,
  };
  return requestAction(request, world).requested[0];
}

/** The teacher console's side of the fake shell: one class of four iPads and its lesson. */
export interface FakeLessons {
  view: ClassView;
  /** false: lesson requests wait in the outbox. */
  serverReachable: boolean;
}

export function fakeLessons(changes: Partial<FakeLessons> = {}): FakeLessons {
  const summary: ClassSummary = {
    uuid: "class-5a",
    orgUuid: ORGS[0].uuid,
    orgName: ORGS[0].name,
    name: "5a",
    students: 4,
    devices: 4,
    teachers: ["Tina Becker"],
    lesson: null,
  };
  const tiles: Tile[] = [0, 1, 2, 3].map((index) => ({
    deviceUuid: device(index).uuid,
    deviceName: device(index).name,
    studentLogin: `schueler${index}`,
    studentName: `Schüler ${index}`,
    supervised: device(index).supervised,
    online: index !== 3,
    lastContact: NOW - 60_000,
    battery: 80,
    absent: false,
    locked: false,
    appLock: null,
    appLockName: null,
    allowedApps: null,
    webPage: null,
    ack: "none",
    errorMessage: null,
    pendingCommands: 0,
  }));
  const apps = [{ bundleId: "com.apple.Pages", name: "Pages" }];
  const view = { class: summary, apps, tiles, lesson: null, canTeach: true, whyNot: null };
  return { view, serverReachable: true, ...changes };
}

function startLesson(request: StartLesson, world: FakeLessons): ClassView {
  const queued = !world.serverReachable;
  world.view.lesson = {
    id: 1,
    serverUuid: queued ? null : "lesson-1",
    state: queued ? "queued" : "running",
    startedAt: NOW,
    endsAt: NOW + request.durationMinutes * 60_000,
    endReason: null,
    refusal: null,
    acknowledged: 0,
    total: world.view.tiles.filter((t) => !t.absent).length,
    queuedRequests: queued ? 1 : 0,
    notice: queued ? "The lesson ends on the server at its end time once accepted." : null,
  };
  const { state, endsAt } = world.view.lesson;
  world.view.class.lesson = { id: 1, state, endsAt };
  return world.view;
}

function lessonCommand(request: LessonCommandRequest, world: FakeLessons): LessonCommandOutcome {
  const skipped: Skipped[] = [];
  for (const tile of world.view.tiles) {
    if (request.deviceUuids && !request.deviceUuids.includes(tile.deviceUuid)) continue;
    const command = request.command;
    if (tile.absent || (command.kind === "appLock" && !tile.supervised)) {
      const reason = tile.absent ? "The student is marked absent." : "The iPad is not supervised.";
      skipped.push({ deviceUuid: tile.deviceUuid, deviceName: tile.deviceName, reason });
      continue;
    }
    if (command.kind === "lockScreen") tile.locked = true;
    if (command.kind === "unlockScreen") tile.locked = false;
    if (command.kind === "appLock") tile.appLock = command.bundleId;
    if (command.kind === "releaseAppLock") tile.appLock = null;
    if (command.kind === "openWebPage") tile.webPage = command.url;
    if (command.kind === "allowApps") tile.allowedApps = command.bundleIds;
    if (command.kind === "allowAllApps") tile.allowedApps = null;
    tile.ack = world.serverReachable ? "pending" : "queued";
  }
  return { view: world.view, skipped, queued: !world.serverReachable };
}

function endLesson(world: FakeLessons): ClassView {
  if (world.view.lesson) {
    world.view.lesson = { ...world.view.lesson, state: "ended", endReason: "ENDED_BY_TEACHER" };
  }
  for (const tile of world.view.tiles) {
    Object.assign(tile, { locked: false, appLock: null, allowedApps: null, webPage: null });
  }
  return world.view;
}

type Handlers = {
  [K in CommandName]: (
    request: CommandRequest<K>,
  ) => Promise<CommandResponse<K>> | CommandResponse<K>;
};

/** The shell's answers; pass handlers to change some of them. */
export function fakeShell(
  overrides: Partial<Handlers> = {},
  state: AppState = appState(),
  actions: FakeActions = fakeActions(),
  lessons: FakeLessons = fakeLessons(),
) {
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
    device_detail: ({ uuid }) => ({ ...detail(uuid), lostMode: actions.lostMode.has(uuid) }),
    overview: () => overview(),
    // The compliance commands answer an empty district here; tests/compliance-fake.ts answers
    // them from a seeded one.
    compliance: () => ({
      evaluatedAt: NOW,
      total: 0,
      compliant: 0,
      nonCompliant: 0,
      noPolicy: 0,
      disagreements: 0,
      rows: [],
      more: 0,
    }),
    device_compliance: () => {
      throw appError({ code: "invalid_input", key: "device_not_cached", message: "Not cached." });
    },
    remediation_preview: (request) => ({
      app: null,
      kind: request.kind,
      orgs: [],
      requested: [],
      refusal: { key: "nothing_to_do", message: "No device needs this." },
    }),
    request_remediation: () => {
      throw appError({ code: "invalid_input", key: "nothing_to_do", message: "Nothing queued." });
    },
    licences: () => ({ orgs: [] }),
    district: () => ({ evaluatedAt: NOW, schools: [] }),
    export_report: (request) => ({
      path: request.path,
      rows: 0,
      fileName: `koffer-${request.report}.${request.format}`,
      mediaType: request.format === "csv" ? "text/csv" : "application/octet-stream",
      contentBase64: request.path === null ? "" : null,
    }),
    preview_action: (request) => preview(request, actions),
    request_action: (request) => requestAction(request, actions),
    ledger: ({ deviceUuid }) =>
      [...actions.ledger]
        .reverse()
        .filter((entry) => deviceUuid === null || entry.deviceUuid === deviceUuid),
    cancel_action: ({ id }) => cancelAction(id, actions),
    retry_action: ({ id }) => retryAction(id, actions),
    device_location: ({ uuid }) => ({
      location: actions.locations.get(uuid) ?? null,
      keptHours: actions.keptHours,
    }),
    audit_log: () => actions.audit,
    erase_follow_ups: () => actions.eraseFollowUps,
    // The policy commands answer from tests/fake-policies.ts; tests pass a world of their own.
    ...policyHandlers(),
    classes: () => [lessons.view.class],
    class_view: () => lessons.view,
    start_lesson: (request) => startLesson(request, lessons),
    lesson_command: (request) => lessonCommand(request, lessons),
    extend_lesson: () => {
      if (lessons.view.lesson) lessons.view.lesson.endsAt += 10 * 60_000;
      return lessons.view;
    },
    end_lesson: () => endLesson(lessons),
    set_absent: ({ deviceUuid, studentLogin, absent }) => {
      const tile = lessons.view.tiles.find(
        (t) => t.deviceUuid === deviceUuid || t.studentLogin === studentLogin,
      );
      if (tile) tile.absent = absent;
      return lessons.view;
    },
    ...overrides,
  };
  const listeners: ((event: SyncEvent) => void)[] = [];
  const ledgerListeners: ((entries: LedgerEntry[]) => void)[] = [];
  return {
    actions,
    call: async <K extends CommandName>(name: K, request: CommandRequest<K>) =>
      structuredClone(await handlers[name](request)),
    onSyncEvent: async (handler: (event: SyncEvent) => void) => {
      listeners.push(handler);
      return () => listeners.splice(listeners.indexOf(handler), 1);
    },
    emit: (event: SyncEvent) => listeners.forEach((listener) => listener(event)),
    onLedgerEvent: async (handler: (entries: LedgerEntry[]) => void) => {
      ledgerListeners.push(handler);
      return () => ledgerListeners.splice(ledgerListeners.indexOf(handler), 1);
    },
    /** Reports changed actions the way the shell's follower does. */
    emitLedger: (entries: LedgerEntry[]) =>
      ledgerListeners.forEach((listener) => listener(structuredClone(entries))),
  };
}

/** The requests sent for one command, oldest first. */
export function requests<K extends CommandName>(
  call: ReturnType<typeof vi.fn>,
  name: K,
): CommandRequest<K>[] {
  return call.mock.calls.filter(([command]) => command === name).map(([, request]) => request);
}
