// A class and its lessons for the teacher console's tests: the shell's lesson commands answered
// the way core-lessons describes them (plan/contracts.md), over a class of eight iPads.
import { vi } from "vitest";

import * as api from "../src/lib/api";
import type { CommandName, CommandRequest, CommandResponse } from "../src/lib/api";
import type { AppState } from "../src/lib/bindings/AppState";
import type { ProfileInfo } from "../src/lib/bindings/ProfileInfo";
import type { ClassSummary } from "../src/lib/bindings/ClassSummary";
import type { ClassView } from "../src/lib/bindings/ClassView";
import type { LessonCommand } from "../src/lib/bindings/LessonCommand";
import type { LessonCommandOutcome } from "../src/lib/bindings/LessonCommandOutcome";
import type { Tile } from "../src/lib/bindings/Tile";
import { defaultSettings } from "../src/lib/session.svelte";
import { openApp } from "./app-harness";
import { appError, appState, fakeActions, ORGS, PROD } from "./fake-shell";

const MINUTE = 60_000;

export const TEACHER: ProfileInfo = {
  ...PROD,
  id: "p-teacher",
  label: "Schule",
  login: "anna.lehmann",
  displayName: "Anna Lehmann",
  role: "TEACHER",
};

export function teacherState(profile: ProfileInfo = TEACHER): AppState {
  return appState({
    profiles: [profile],
    activeProfileId: profile.id,
    settings: { ...defaultSettings(), activeProfileId: profile.id },
  });
}

export const APPS = [
  { bundleId: "com.apple.Pages", name: "Pages" },
  { bundleId: "de.westermann.mathe", name: "Mathe 7" },
  { bundleId: "com.apple.Keynote", name: "Keynote" },
];

/** Student `n` of class 7b with their 1:1 iPad; 3 and 6 are unsupervised, 5 is offline. */
export function tile(n: number, changes: Partial<Tile> = {}): Tile {
  return {
    deviceUuid: `dev-${n}`,
    deviceName: `NORD-iPad-${String(n).padStart(2, "0")}`,
    studentLogin: `schueler${n}`,
    studentName: `Schüler ${n}`,
    supervised: n !== 3 && n !== 6,
    online: n !== 5,
    lastContact: n === 5 ? Date.now() - 3 * 3600_000 : Date.now() - MINUTE,
    battery: n === 2 ? 12 : 80,
    absent: false,
    locked: false,
    appLock: null,
    appLockName: null,
    allowedApps: null,
    webPage: null,
    ack: "none",
    errorMessage: null,
    pendingCommands: 0,
    ...changes,
  };
}

function summary(uuid: string, name: string, devices: number): ClassSummary {
  return {
    uuid,
    orgUuid: ORGS[0].uuid,
    orgName: ORGS[0].name,
    name,
    students: devices,
    devices,
    teachers: [TEACHER.displayName],
    lesson: null,
  };
}

/** The shell's side of lessons, changed by the commands and by the tests. */
export interface LessonWorld {
  classes: ClassSummary[];
  views: Map<string, ClassView>;
  /** false: requests wait in the outbox, lessons and commands are "queued". */
  serverReachable: boolean;
}

export function lessonWorld(changes: Partial<LessonWorld> = {}): LessonWorld {
  const classes = [summary("class-7b", "7b", 8), summary("class-9a", "9a Mathe", 2)];
  const views = new Map<string, ClassView>();
  for (const [index, klass] of classes.entries()) {
    const tiles = Array.from({ length: klass.devices }, (_, i) =>
      index === 0 ? tile(i + 1) : tile(i + 1, { deviceUuid: `dev-9a-${i + 1}` }),
    );
    views.set(klass.uuid, {
      class: klass,
      apps: APPS,
      tiles,
      lesson: null,
      canTeach: true,
      whyNot: null,
    });
  }
  return { classes, views, serverReachable: true, ...changes };
}

function restrict(target: Tile, command: LessonCommand): Tile {
  switch (command.kind) {
    case "lockScreen":
      return { ...target, locked: true };
    case "unlockScreen":
      return { ...target, locked: false };
    case "appLock":
      return {
        ...target,
        appLock: command.bundleId,
        appLockName: APPS.find((app) => app.bundleId === command.bundleId)?.name ?? null,
      };
    case "releaseAppLock":
      return { ...target, appLock: null, appLockName: null };
    case "openWebPage":
      return { ...target, webPage: command.url };
    case "allowApps":
      return { ...target, allowedApps: [...command.bundleIds] };
    case "allowAllApps":
      return { ...target, allowedApps: null };
  }
}

function waiting(world: LessonWorld, target: Tile): Tile {
  const ack = !world.serverReachable ? "queued" : target.online ? "pending" : "offline";
  return { ...target, ack, errorMessage: null, pendingCommands: target.pendingCommands + 1 };
}

function counted(view: ClassView): ClassView {
  if (!view.lesson) return view;
  const present = view.tiles.filter((t) => !t.absent);
  const acknowledged = present.filter((t) => t.ack === "acknowledged").length;
  return { ...view, lesson: { ...view.lesson, acknowledged, total: present.length } };
}

function store(world: LessonWorld, view: ClassView): ClassView {
  const next = counted(view);
  world.views.set(next.class.uuid, next);
  const klass = world.classes.find((c) => c.uuid === next.class.uuid)!;
  klass.lesson = next.lesson
    ? { id: next.lesson.id, state: next.lesson.state, endsAt: next.lesson.endsAt }
    : null;
  return next;
}

type LessonCommandName = Extract<
  CommandName,
  | "classes"
  | "class_view"
  | "start_lesson"
  | "lesson_command"
  | "extend_lesson"
  | "end_lesson"
  | "set_absent"
>;

type Handlers = {
  [K in LessonCommandName]: (request: CommandRequest<K>) => CommandResponse<K>;
};

export function lessonHandlers(world: LessonWorld): Handlers {
  const viewOf = (uuid: string) => world.views.get(uuid)!;
  return {
    classes: () => world.classes,
    class_view: ({ uuid }) => viewOf(uuid),
    start_lesson: ({ classUuid, durationMinutes }) => {
      if (durationMinutes < 1 || durationMinutes > 600) {
        throw appError({ code: "invalid_input", key: "invalid_input", field: "duration" });
      }
      const view = viewOf(classUuid);
      const state = world.serverReachable ? "running" : "queued";
      const startedAt = Date.now();
      const lesson = {
        id: 1,
        serverUuid: world.serverReachable ? "lesson-1" : null,
        state,
        startedAt,
        endsAt: startedAt + durationMinutes * MINUTE,
        endReason: null,
        refusal: null,
        acknowledged: 0,
        total: 0,
        queuedRequests: world.serverReachable ? 0 : 1,
        notice: world.serverReachable ? null : "The lesson ends on the server at its end time.",
      } as const;
      return store(world, { ...view, lesson });
    },
    lesson_command: ({ classUuid, command, deviceUuids }): LessonCommandOutcome => {
      const view = viewOf(classUuid);
      if (command.kind === "openWebPage" && !/^https?:\/\//.test(command.url)) {
        throw appError({ code: "invalid_input", key: "invalid_input", field: "url" });
      }
      const meant = (t: Tile) =>
        !t.absent && (deviceUuids === null || deviceUuids.includes(t.deviceUuid));
      const skipped = view.tiles
        .filter((t) => meant(t) && command.kind === "appLock" && !t.supervised)
        .map((t) => ({
          deviceUuid: t.deviceUuid,
          deviceName: t.deviceName,
          reason:
            "The device is not supervised; Apple allows an app lock only on supervised devices.",
        }));
      const tiles = view.tiles.map((t) =>
        !meant(t) || skipped.some((s) => s.deviceUuid === t.deviceUuid)
          ? t
          : waiting(world, restrict(t, command)),
      );
      return { view: store(world, { ...view, tiles }), skipped, queued: !world.serverReachable };
    },
    extend_lesson: ({ uuid }) => {
      const view = viewOf(uuid);
      return store(world, {
        ...view,
        lesson: { ...view.lesson!, endsAt: view.lesson!.endsAt + 10 * MINUTE },
      });
    },
    end_lesson: ({ uuid }) => {
      const view = viewOf(uuid);
      const tiles = view.tiles.map((t) =>
        waiting(world, {
          ...t,
          locked: false,
          appLock: null,
          appLockName: null,
          allowedApps: null,
          webPage: null,
        }),
      );
      const lesson = { ...view.lesson!, state: "ended", endReason: "ENDED_BY_TEACHER" } as const;
      return store(world, { ...view, tiles, lesson });
    },
    set_absent: ({ classUuid, studentLogin, deviceUuid, absent }) => {
      const view = viewOf(classUuid);
      const tiles = view.tiles.map((t) =>
        (studentLogin !== null && t.studentLogin === studentLogin) || t.deviceUuid === deviceUuid
          ? { ...t, absent }
          : t,
      );
      return store(world, { ...view, tiles });
    },
  };
}

/** The devices of the class check in: every pending tile acknowledges. */
export function checkIn(world: LessonWorld, classUuid: string, busy: string[] = []): void {
  const view = world.views.get(classUuid)!;
  const tiles = view.tiles.map((t): Tile =>
    t.ack !== "pending"
      ? t
      : { ...t, ack: busy.includes(t.deviceUuid) ? "notNow" : "acknowledged", pendingCommands: 0 },
  );
  store(world, { ...view, tiles });
}

/** Opens the app as a teacher, with the lesson commands and `lesson-changed` events faked. */
export async function openConsole(world: LessonWorld = lessonWorld(), state = teacherState()) {
  const listeners: ((classUuid: string) => void)[] = [];
  vi.mocked(api.onLessonEvent).mockImplementation(async (handler) => {
    listeners.push(handler);
    return () => listeners.splice(listeners.indexOf(handler), 1);
  });
  const app = await openApp(lessonHandlers(world), state, fakeActions());
  return {
    ...app,
    world,
    emitLesson: (classUuid: string) => listeners.forEach((listener) => listener(classUuid)),
  };
}
