// The teacher console's types as plan/contracts.md declares them, until core-lessons' generated
// bindings land; then this file only re-exports them.
export type LessonSummary = { id: number; state: LessonState; endsAt: number };

export type ClassSummary = {
  uuid: string;
  orgUuid: string;
  orgName: string;
  name: string;
  students: number;
  devices: number;
  teachers: Array<string>;
  lesson: LessonSummary | null;
};

export type ClassApp = { bundleId: string; name: string };

export type Ack = "none" | "pending" | "acknowledged" | "notNow" | "error" | "offline" | "queued";

export type Tile = {
  deviceUuid: string;
  deviceName: string;
  studentLogin: string | null;
  studentName: string | null;
  supervised: boolean;
  online: boolean;
  lastContact: number | null;
  battery: number | null;
  absent: boolean;
  locked: boolean;
  appLock: string | null;
  appLockName: string | null;
  allowedApps: Array<string> | null;
  webPage: string | null;
  ack: Ack;
  errorMessage: string | null;
  pendingCommands: number;
};

export type LessonState = "queued" | "running" | "ended" | "refused";

export type LessonView = {
  id: number;
  serverUuid: string | null;
  state: LessonState;
  startedAt: number;
  endsAt: number;
  endReason: string | null;
  refusal: string | null;
  acknowledged: number;
  total: number;
  queuedRequests: number;
  notice: string | null;
};

export type ClassView = {
  class: ClassSummary;
  apps: Array<ClassApp>;
  tiles: Array<Tile>;
  lesson: LessonView | null;
  canTeach: boolean;
  whyNot: string | null;
};

export type ClassRef = { uuid: string };

export type StartLesson = {
  classUuid: string;
  durationMinutes: number;
  deviceUuids: Array<string> | null;
};

export type LessonCommand =
  | { kind: "lockScreen"; message: string }
  | { kind: "unlockScreen" }
  | { kind: "appLock"; bundleId: string }
  | { kind: "releaseAppLock" }
  | { kind: "openWebPage"; url: string }
  | { kind: "allowApps"; bundleIds: Array<string> }
  | { kind: "allowAllApps" };

export type LessonCommandRequest = {
  classUuid: string;
  command: LessonCommand;
  deviceUuids: Array<string> | null;
};

export type Skipped = { deviceUuid: string; deviceName: string; reason: string };

export type LessonCommandOutcome = { view: ClassView; skipped: Array<Skipped>; queued: boolean };

export type AbsentRequest = {
  classUuid: string;
  studentLogin: string | null;
  deviceUuid: string | null;
  absent: boolean;
};

export const LESSON_EVENT = "lesson-changed";

export type LessonCommands = {
  classes: { request: Record<string, never>; response: Array<ClassSummary> };
  class_view: { request: ClassRef; response: ClassView };
  start_lesson: { request: StartLesson; response: ClassView };
  lesson_command: { request: LessonCommandRequest; response: LessonCommandOutcome };
  extend_lesson: { request: ClassRef; response: ClassView };
  end_lesson: { request: ClassRef; response: ClassView };
  set_absent: { request: AbsentRequest; response: ClassView };
};
