// The inventory's selection for bulk actions: devices by uuid, with the name and serial the
// results show. "All matching" pages through the query, since the table holds only windows.
import { call } from "./api";
import type { DeviceQuery } from "./bindings/DeviceQuery";
import type { DeviceRow } from "./bindings/DeviceRow";

/** Rows asked for at once when the selection takes every device of a query. */
export const SELECT_PAGE = 1000;

/** How much of the matching devices is selected, for the header's checkbox. */
export type Selected = "none" | "some" | "all";

export interface SelectedDevice {
  uuid: string;
  name: string;
  serial: string;
}

export function selected(row: DeviceRow): SelectedDevice {
  return { uuid: row.uuid, name: row.name, serial: row.serial };
}

export class Selection {
  #devices = $state.raw(new Map<string, SelectedDevice>());
  /** The row of the last plain click: a shift-click selects from there. */
  anchor: number | null = null;

  get size(): number {
    return this.#devices.size;
  }

  get devices(): SelectedDevice[] {
    return [...this.#devices.values()];
  }

  has(uuid: string): boolean {
    return this.#devices.has(uuid);
  }

  /** Selects or unselects devices, in one change. */
  set(devices: readonly SelectedDevice[], on: boolean): void {
    const next = new Map(this.#devices);
    for (const device of devices) {
      if (on) next.set(device.uuid, device);
      else next.delete(device.uuid);
    }
    this.#devices = next;
  }

  clear(): void {
    this.#devices = new Map();
    this.anchor = null;
  }
}

/** Every device the query matches, page by page. */
export async function allMatching(query: DeviceQuery): Promise<SelectedDevice[]> {
  const devices: SelectedDevice[] = [];
  for (let offset = 0; ; offset += SELECT_PAGE) {
    const page = await call("query_devices", { ...query, offset, limit: SELECT_PAGE });
    devices.push(...page.rows.map(selected));
    if (page.rows.length < SELECT_PAGE || offset + SELECT_PAGE >= page.total) return devices;
  }
}

/** The devices in rows `from` to `to` of the query, taken from `known` where it has them. */
export async function rowsBetween(
  query: DeviceQuery,
  from: number,
  to: number,
  known: (index: number) => DeviceRow | undefined,
): Promise<SelectedDevice[]> {
  const [first, last] = from <= to ? [from, to] : [to, from];
  const rows = Array.from({ length: last - first + 1 }, (_, i) => known(first + i));
  if (rows.every((row) => row !== undefined)) return rows.map((row) => selected(row!));
  const devices: SelectedDevice[] = [];
  for (let offset = first; offset <= last; offset += SELECT_PAGE) {
    const limit = Math.min(SELECT_PAGE, last - offset + 1);
    const page = await call("query_devices", { ...query, offset, limit });
    devices.push(...page.rows.map(selected));
  }
  return devices;
}
