// What the window knows about the cache's freshness and the sync: whether the server answers,
// when each organisation was synced, and the progress of a running sync.
import { call, onSyncEvent } from "./api";
import type { AppError } from "./bindings/AppError";
import type { Freshness } from "./bindings/Freshness";
import type { OrgFreshness } from "./bindings/OrgFreshness";
import type { SyncEvent } from "./bindings/SyncEvent";
import { toAppError } from "./errors";

/** How often the server is asked whether it is reachable. */
export const CHECK_INTERVAL_MS = 60_000;

/** The AppError key of a sync refused because one runs already. */
const SYNC_RUNNING = "sync_running";

export interface SyncProgress {
  org: string;
  name: string;
  done: number;
  total: number;
}

export interface SyncFailure {
  org: string;
  name: string;
  reason: string;
}

export class SyncStatus {
  freshness = $state<Freshness | null>(null);
  syncing = $state(false);
  progress = $state<SyncProgress | null>(null);
  /** Organisations the last sync could not update, with the reason. */
  failures = $state<SyncFailure[]>([]);
  /** Why the last sync failed as a whole; null when it ran. */
  syncError = $state<string | null>(null);
  /** Why the last command of this status failed, for the window's notice. */
  error = $state<AppError | null>(null);
  /** Grows after every sync; views that show cached data refetch when it changes. */
  dataVersion = $state(0);
  #names = new Map<string, string>();
  /** Whether this window started the running sync (and so waits for its answer). */
  #mine = false;

  get reachable(): boolean | null {
    return this.freshness?.serverReachable ?? null;
  }

  /** The oldest successful sync among the organisations: the cache is at least that fresh. */
  get cacheTime(): number | null {
    const times = (this.freshness?.organisations ?? [])
      .map((org) => org.lastSuccess)
      .filter((time): time is number => time !== null);
    return times.length > 0 ? Math.min(...times) : null;
  }

  /** No organisation has been synced yet: the cache is empty. */
  get neverSynced(): boolean {
    return this.freshness !== null && this.organisations.every((org) => org.lastSuccess === null);
  }

  get organisations(): OrgFreshness[] {
    return this.freshness?.organisations ?? [];
  }

  /** Listens to sync events and checks the server now and every minute; returns the stop. */
  start(): () => void {
    let stopListening: (() => void) | undefined;
    let stopped = false;
    onSyncEvent((event) => this.handle(event)).then(
      (stop) => (stopped ? stop() : (stopListening = stop)),
      (error) => (this.error = toAppError(error)),
    );
    // A profile that was never synced (a new sign-in, the demo) syncs right away.
    void this.refresh().then(() => (this.neverSynced ? this.sync() : this.checkServer()));
    const timer = setInterval(() => void this.checkServer(), CHECK_INTERVAL_MS);
    return () => {
      stopped = true;
      stopListening?.();
      clearInterval(timer);
    };
  }

  async refresh(): Promise<void> {
    await this.#adopt(() => call("freshness", {}));
  }

  async checkServer(): Promise<void> {
    await this.#adopt(() => call("check_server", {}));
  }

  /** Syncs what changed; the events report progress, the answer names failed organisations. */
  async sync(): Promise<void> {
    this.#begin();
    this.#mine = true;
    try {
      const summary = await call("start_sync", { full: false });
      this.failures = summary.organisations
        .filter((org) => org.error !== null)
        .map((org) => ({ org: org.uuid, name: org.name, reason: org.error ?? "" }));
    } catch (error) {
      const failure = toAppError(error);
      this.#mine = false;
      // The shell's interval sync runs already: its events show it, and its end ends it here.
      if (failure.key === SYNC_RUNNING) return;
      this.error = failure;
    }
    this.#mine = false;
    if (this.syncing) await this.#end(null);
  }

  /** Follows a sync, whether the user started it or the shell's interval did. */
  handle(event: SyncEvent): void {
    switch (event.kind) {
      case "started":
        if (!this.syncing) this.#begin();
        this.#names.set(event.org, event.name);
        this.progress = { org: event.org, name: event.name, done: 0, total: 0 };
        break;
      case "devices":
        if (!this.syncing) this.#begin();
        this.progress = {
          org: event.org,
          name: this.#names.get(event.org) ?? this.progress?.name ?? "",
          done: event.done,
          total: event.total,
        };
        break;
      case "finished":
        if (event.error !== null) this.#fail(event.org, event.error);
        break;
      case "done":
        void this.#end(event.error);
        break;
    }
  }

  #begin(): void {
    this.syncing = true;
    this.progress = null;
    this.failures = [];
    this.syncError = null;
    this.error = null;
  }

  #fail(org: string, reason: string): void {
    const name = this.#names.get(org) ?? org;
    this.failures = [...this.failures.filter((f) => f.org !== org), { org, name, reason }];
  }

  async #end(error: string | null): Promise<void> {
    if (!this.syncing) return;
    this.syncing = false;
    this.progress = null;
    this.syncError = error;
    this.dataVersion += 1;
    await this.checkServer();
  }

  async #adopt(fetch: () => Promise<Freshness>): Promise<void> {
    try {
      const freshness = await fetch();
      this.freshness = freshness;
      // A sync the shell runs on its interval shows here first; its events follow.
      if (!this.#mine) this.syncing = freshness.syncing;
    } catch (error) {
      this.error = toAppError(error);
    }
  }
}
