// The inventory's columns: what each shows, how it sorts, and which ones the user chose.
import type { DeviceRow } from "./bindings/DeviceRow";
import type { SortKey } from "./bindings/SortKey";
import { formatAgo, formatGigabytes } from "./format";
import { t, translateLabel, type MessageKey } from "./i18n/i18n.svelte";

export type ColumnId =
  | "name"
  | "serial"
  | "model"
  | "osVersion"
  | "battery"
  | "user"
  | "lastContact"
  | "organisation"
  | "compliance"
  | "supervised"
  | "storage";

export interface Column {
  id: ColumnId;
  label: MessageKey;
  /** null for columns the shell cannot sort by. */
  sort: SortKey | null;
  /** The column's track in the table's CSS grid. */
  width: string;
  numeric: boolean;
  cell: (row: DeviceRow, now: number) => string;
}

export const COLUMNS: readonly Column[] = [
  column("name", "column.name", "name", "minmax(10rem, 2fr)", (row) => row.name),
  column("serial", "column.serial", "serial", "minmax(8rem, 1fr)", (row) => row.serial),
  column("model", "column.model", "model", "minmax(9rem, 1.5fr)", (row) => row.model),
  column("osVersion", "column.osVersion", "osVersion", "6rem", (row) => row.osVersion),
  {
    ...column("battery", "column.battery", "battery", "6rem", batteryText),
    numeric: true,
  },
  column("user", "column.user", "user", "minmax(9rem, 1.5fr)", userText),
  column("lastContact", "column.lastContact", "lastContact", "9rem", (row, now) =>
    formatAgo(row.lastContact, now),
  ),
  column("organisation", "column.organisation", "organisation", "minmax(9rem, 1.5fr)", (row) => {
    return row.organisation;
  }),
  column("compliance", "column.compliance", "compliance", "9rem", (row) =>
    translateLabel("compliance.", row.compliance),
  ),
  column("supervised", "column.supervised", null, "7rem", (row) =>
    t(row.supervised ? "value.yes" : "value.no"),
  ),
  { ...column("storage", "column.storage", null, "9rem", storageText), numeric: true },
];

export const DEFAULT_COLUMNS: readonly ColumnId[] = [
  "name",
  "serial",
  "model",
  "osVersion",
  "battery",
  "user",
  "lastContact",
];

function column(
  id: ColumnId,
  label: MessageKey,
  sort: SortKey | null,
  width: string,
  cell: Column["cell"],
): Column {
  return { id, label, sort, width, numeric: false, cell };
}

function batteryText(row: DeviceRow): string {
  return row.batteryPercent === null ? "–" : `${row.batteryPercent} %`;
}

function userText(row: DeviceRow): string {
  return row.userName ?? row.userLogin ?? "–";
}

function storageText(row: DeviceRow): string {
  if (row.storageFree === null || row.storageTotal === null) return "–";
  return t("value.storageFree", {
    free: formatGigabytes(row.storageFree),
    total: formatGigabytes(row.storageTotal),
  });
}

/** The columns a setting names, in its order; unknown names (from another version) drop out. */
export function chosenColumns(ids: readonly string[]): Column[] {
  const chosen = ids
    .map((id) => COLUMNS.find((column) => column.id === id))
    .filter((column): column is Column => column !== undefined);
  return chosen.length > 0 ? chosen : chosenColumns(DEFAULT_COLUMNS);
}

/** The grid template of the chosen columns. */
export function gridTemplate(columns: readonly Column[]): string {
  return columns.map((column) => column.width).join(" ");
}
