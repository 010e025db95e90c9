// The teacher console's state: the classes the profile may teach, the open class with its tiles
// and lesson, and the commands a teacher gives. The shell reports new acknowledgements as
// `lesson-changed` events naming a class; the open class is fetched again when one names it.
import { call, onLessonEvent } from "./api";
import type { AppError } from "./bindings/AppError";
import { toAppError } from "./errors";
import type { ClassSummary } from "./bindings/ClassSummary";
import type { ClassView } from "./bindings/ClassView";
import type { LessonCommand } from "./bindings/LessonCommand";
import type { LessonCommandOutcome } from "./bindings/LessonCommandOutcome";
import type { Tile } from "./bindings/Tile";

export const DEFAULT_MINUTES = 45;
export const EXTEND_MINUTES = 10;
/** A school day; the server refuses longer lessons (MAX_LESSON_MINUTES in koffer-api). */
export const MAX_LESSON_MINUTES = 600;
export const MAX_LOCK_MESSAGE = 200;
/** The open class is fetched again this often besides the events, while a lesson runs. */
export const LESSON_POLL_MS = 15_000;

/** What the last command did, for the notice under the controls. */
export interface CommandResult {
  command: LessonCommand["kind"];
  /** Devices the command was meant for and reached the shell (not absent, not skipped). */
  sent: number;
  skipped: LessonCommandOutcome["skipped"];
  /** Tiles of absent students the command left out. */
  absent: string[];
  queued: boolean;
}

export class ClassConsole {
  classes = $state<ClassSummary[] | null>(null);
  listError = $state<AppError | null>(null);
  openUuid = $state<string | null>(null);
  view = $state<ClassView | null>(null);
  viewError = $state<AppError | null>(null);
  /** A command, start, extend or end is on its way to the shell. */
  busy = $state(false);
  actionError = $state<AppError | null>(null);
  result = $state<CommandResult | null>(null);
  #asked = 0;

  /** Listens to the shell's lesson events; returns the stop. */
  start(): () => void {
    let stopListening: (() => void) | undefined;
    let stopped = false;
    const timer = setInterval(() => {
      if (this.view?.lesson?.state === "running") void this.refresh();
    }, LESSON_POLL_MS);
    Promise.resolve()
      .then(() => onLessonEvent((classUuid) => this.changed(classUuid)))
      .then(
        (stop) => (stopped ? stop() : (stopListening = stop)),
        (error) => (this.listError = toAppError(error)),
      );
    return () => {
      stopped = true;
      clearInterval(timer);
      stopListening?.();
    };
  }

  changed(classUuid: string): void {
    if (classUuid === this.openUuid) void this.refresh();
    void this.loadClasses();
  }

  async loadClasses(): Promise<void> {
    try {
      this.classes = await call("classes", {});
      this.listError = null;
    } catch (error) {
      this.listError = toAppError(error);
    }
  }

  async open(uuid: string): Promise<void> {
    if (uuid !== this.openUuid) {
      this.openUuid = uuid;
      this.view = null;
      this.result = null;
      this.actionError = null;
    }
    await this.refresh();
  }

  /** Fetches the open class; an answer to an older request than the last one is dropped. */
  async refresh(): Promise<void> {
    const uuid = this.openUuid;
    if (uuid === null) return;
    const asked = ++this.#asked;
    try {
      const view = await call("class_view", { uuid });
      if (asked !== this.#asked || uuid !== this.openUuid) return;
      this.view = view;
      this.viewError = null;
    } catch (error) {
      if (asked === this.#asked) this.viewError = toAppError(error);
    }
  }

  async startLesson(durationMinutes: number): Promise<boolean> {
    const classUuid = this.openUuid;
    if (classUuid === null) return false;
    return this.#act(() => call("start_lesson", { classUuid, durationMinutes, deviceUuids: null }));
  }

  async extend(): Promise<boolean> {
    const uuid = this.openUuid;
    if (uuid === null) return false;
    return this.#act(() => call("extend_lesson", { uuid }));
  }

  async end(): Promise<boolean> {
    const uuid = this.openUuid;
    if (uuid === null) return false;
    this.result = null;
    return this.#act(() => call("end_lesson", { uuid }));
  }

  async setAbsent(tile: Tile, absent: boolean): Promise<boolean> {
    const classUuid = this.openUuid;
    if (classUuid === null) return false;
    const studentLogin = tile.studentLogin;
    const deviceUuid = studentLogin === null ? tile.deviceUuid : null;
    return this.#act(() => call("set_absent", { classUuid, studentLogin, deviceUuid, absent }));
  }

  /**
   * Sends a command to the whole class (`chosen` null: the shell leaves the absent out) or to
   * the chosen tiles, without the absent among them.
   */
  async command(command: LessonCommand, chosen: string[] | null): Promise<boolean> {
    const view = this.view;
    if (view === null) return false;
    const targets = commandTargets(view.tiles, chosen);
    if (targets.devices.length === 0) return false;
    this.busy = true;
    this.actionError = null;
    try {
      const outcome = await call("lesson_command", {
        classUuid: view.class.uuid,
        command,
        deviceUuids: chosen === null ? null : targets.devices,
      });
      this.view = outcome.view;
      this.result = {
        command: command.kind,
        sent: targets.devices.length - outcome.skipped.length,
        skipped: outcome.skipped,
        absent: targets.absent,
        queued: outcome.queued,
      };
      return true;
    } catch (error) {
      this.actionError = toAppError(error);
      return false;
    } finally {
      this.busy = false;
    }
  }

  async #act(request: () => Promise<ClassView>): Promise<boolean> {
    this.busy = true;
    this.actionError = null;
    try {
      this.view = await request();
      void this.loadClasses();
      return true;
    } catch (error) {
      this.actionError = toAppError(error);
      return false;
    } finally {
      this.busy = false;
    }
  }
}

/** The devices a command goes to, and the names of the absent students it leaves out. */
export function commandTargets(
  tiles: readonly Tile[],
  chosen: readonly string[] | null,
): { devices: string[]; absent: string[] } {
  const meant = chosen === null ? tiles : tiles.filter((tile) => chosen.includes(tile.deviceUuid));
  return {
    devices: meant.filter((tile) => !tile.absent).map((tile) => tile.deviceUuid),
    absent: meant.filter((tile) => tile.absent).map(tileLabel),
  };
}

/** The student's name where the device is a 1:1 device, else the device's name. */
export function tileLabel(tile: Tile): string {
  return tile.studentName ?? tile.studentLogin ?? tile.deviceName;
}

/** Tiles a lock into one app cannot reach: Apple allows it on supervised devices only. */
export function unsupervised(tiles: readonly Tile[], chosen: readonly string[] | null): Tile[] {
  const targets = new Set(commandTargets(tiles, chosen).devices);
  return tiles.filter((tile) => targets.has(tile.deviceUuid) && !tile.supervised);
}

/** A web page the iPads may open: an http or https address with a host. */
export function isWebAddress(text: string): boolean {
  try {
    const url = new URL(text.trim());
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

/** A whole number of minutes from 1 to MAX_LESSON_MINUTES, or null. */
export function lessonMinutes(value: number | string | null): number | null {
  const minutes = Number(value);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_LESSON_MINUTES) return null;
  return minutes;
}

/** "12:05" under an hour, "1:02:05" above; never negative. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  return hours > 0 ? `${hours}:${pad(minutes)}:${pad(seconds)}` : `${minutes}:${pad(seconds)}`;
}

/** The typed length of a lock message, as the server counts it. */
export function messageLength(text: string): number {
  return [...text.trim()].length;
}
