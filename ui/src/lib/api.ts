// The UI's only way to the desktop shell: typed commands, the sync's events, the ledger's and
// the lessons'.
//
// Every component goes through this module, so tests replace it with a mock and the shell's
// contract lives in one place (the generated bindings).
import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";

import type { Commands } from "./bindings/commands";
import { LEDGER_EVENT, LESSON_EVENT, SYNC_EVENT } from "./bindings/commands";
import type { LedgerEntry } from "./bindings/LedgerEntry";
import type { LessonChanged } from "./bindings/LessonChanged";
import type { SyncEvent } from "./bindings/SyncEvent";
import { toAppError } from "./errors";

export type CommandName = keyof Commands;
export type CommandRequest<K extends CommandName> = Commands[K]["request"];
export type CommandResponse<K extends CommandName> = Commands[K]["response"];

/** Calls a command; a failure rejects with an AppError, whatever the shell threw. */
export async function call<K extends CommandName>(
  name: K,
  request: CommandRequest<K>,
): Promise<CommandResponse<K>> {
  try {
    return await invoke<CommandResponse<K>>(name, { request });
  } catch (error) {
    throw toAppError(error);
  }
}

/** Listens to the sync's progress; resolves to the function that stops listening. */
export async function onSyncEvent(handler: (event: SyncEvent) => void): Promise<() => void> {
  return listen<SyncEvent>(SYNC_EVENT, (event) => handler(event.payload));
}

/** Listens to actions whose state changed; resolves to the function that stops listening. */
export async function onLedgerEvent(
  handler: (entries: LedgerEntry[]) => void,
): Promise<() => void> {
  return listen<LedgerEntry[]>(LEDGER_EVENT, (event) => handler(event.payload));
}

/** Listens to lessons whose devices changed, by class; resolves to the stop. */
export async function onLessonEvent(handler: (classUuid: string) => void): Promise<() => void> {
  return listen<LessonChanged>(LESSON_EVENT, (event) => handler(event.payload.classUuid));
}
