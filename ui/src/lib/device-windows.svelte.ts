// The inventory's rows, fetched in windows of WINDOW_SIZE around what the table shows.
//
// A list of 50,000 devices is never held or rendered whole: the table asks for the rows it
// can see, this cache fetches the windows that cover them, and keeps a bounded number of
// windows. A new query gets a new cache, so answers to an older query are dropped.
import type { AppError } from "./bindings/AppError";
import type { DevicePage } from "./bindings/DevicePage";
import type { DeviceRow } from "./bindings/DeviceRow";
import { toAppError } from "./errors";

export const WINDOW_SIZE = 200;
/** Windows kept at once: enough for fast scrolling back and forth, bounded for memory. */
export const KEPT_WINDOWS = 12;

export type FetchWindow = (offset: number, limit: number) => Promise<DevicePage>;

export class DeviceWindows {
  /** Devices matching the query; null until the first window arrived. */
  total = $state<number | null>(null);
  error = $state<AppError | null>(null);
  #windows = $state<Map<number, DeviceRow[]>>(new Map());
  #pending = new Set<number>();
  #fetchWindow: FetchWindow;
  #closed = false;

  constructor(fetchWindow: FetchWindow) {
    this.#fetchWindow = fetchWindow;
  }

  /** The row at `index`, or undefined while its window is on its way. */
  row(index: number): DeviceRow | undefined {
    const window = this.#windows.get(Math.floor(index / WINDOW_SIZE));
    return window?.[index % WINDOW_SIZE];
  }

  /** Fetches the windows that cover rows `first` to `last` and are not there yet. */
  show(first: number, last: number): void {
    const from = Math.floor(Math.max(0, first) / WINDOW_SIZE);
    const to = Math.floor(Math.max(first, last) / WINDOW_SIZE);
    for (let window = from; window <= to; window++) {
      if (this.total !== null && window * WINDOW_SIZE >= this.total) break;
      if (this.#windows.has(window) || this.#pending.has(window)) continue;
      void this.#fetch(window, from);
    }
  }

  /** Stops taking answers: the query changed and this cache is thrown away. */
  close(): void {
    this.#closed = true;
  }

  async #fetch(window: number, visible: number): Promise<void> {
    this.#pending.add(window);
    try {
      const page = await this.#fetchWindow(window * WINDOW_SIZE, WINDOW_SIZE);
      if (this.#closed) return;
      this.total = page.total;
      this.error = null;
      this.#keep(window, page.rows, visible);
    } catch (error) {
      if (!this.#closed) this.error = toAppError(error);
    } finally {
      this.#pending.delete(window);
    }
  }

  /** Adds a window and drops the ones farthest from what is visible when there are too many. */
  #keep(window: number, rows: DeviceRow[], visible: number): void {
    const windows = new Map(this.#windows);
    windows.set(window, rows);
    const farthestFirst = [...windows.keys()].sort(
      (a, b) => Math.abs(b - visible) - Math.abs(a - visible),
    );
    for (const stale of farthestFirst.slice(0, Math.max(0, windows.size - KEPT_WINDOWS))) {
      windows.delete(stale);
    }
    this.#windows = windows;
  }
}
