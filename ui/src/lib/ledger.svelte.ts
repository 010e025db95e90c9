// The ledger as the window follows it. The shell reports actions whose state changed as
// `ledger-changed` events; views that show the ledger refetch when the feed's version grows,
// and the notifications hear every change.
import { call, onLedgerEvent } from "./api";
import type { AppError } from "./bindings/AppError";
import type { LedgerEntry } from "./bindings/LedgerEntry";
import { toAppError } from "./errors";

/** How often an open ledger is fetched again besides the events. */
export const LEDGER_POLL_MS = 10_000;

type Listener = (entries: LedgerEntry[]) => void;

export class LedgerFeed {
  /** Grows with every change the shell reports or the window makes itself. */
  version = $state(0);
  /** Why listening to the shell failed, for the window's notice. */
  error = $state<AppError | null>(null);
  #listeners = new Set<Listener>();

  /** Listens to the shell's ledger events; returns the stop. */
  start(): () => void {
    let stopListening: (() => void) | undefined;
    let stopped = false;
    onLedgerEvent((entries) => this.handle(entries)).then(
      (stop) => (stopped ? stop() : (stopListening = stop)),
      (error) => (this.error = toAppError(error)),
    );
    return () => {
      stopped = true;
      stopListening?.();
    };
  }

  handle(entries: LedgerEntry[]): void {
    this.version += 1;
    for (const listener of this.#listeners) listener(entries);
  }

  /**
   * The window queued, cancelled or retried an action. The shell reports only the changes it
   * follows on the server, so the views are told here.
   */
  touch(): void {
    this.version += 1;
  }

  /** Hears every reported change; returns the function that stops it. */
  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** One view's rows of the ledger: all of it, or one device's. */
export class LedgerRows {
  entries = $state<LedgerEntry[]>([]);
  loaded = $state(false);
  error = $state<AppError | null>(null);
  #deviceUuid: string | null;
  #asked = 0;

  constructor(deviceUuid: string | null) {
    this.#deviceUuid = deviceUuid;
  }

  /** Fetches the rows; an answer to an older request than the last one is dropped. */
  async refresh(): Promise<void> {
    const asked = ++this.#asked;
    try {
      const entries = await call("ledger", { deviceUuid: this.#deviceUuid });
      if (asked !== this.#asked) return;
      this.entries = entries;
      this.loaded = true;
      this.error = null;
    } catch (error) {
      if (asked === this.#asked) this.error = toAppError(error);
    }
  }

  /** Refetches on every change of `feed` and every LEDGER_POLL_MS; returns the stop. */
  follow(feed: LedgerFeed): () => void {
    const stopFeed = $effect.root(() => {
      $effect(() => {
        void feed.version;
        void this.refresh();
      });
    });
    const timer = setInterval(() => void this.refresh(), LEDGER_POLL_MS);
    return () => {
      stopFeed();
      clearInterval(timer);
    };
  }
}
