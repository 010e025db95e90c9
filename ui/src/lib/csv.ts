// CSV files the user saves from the window, built here so no file ever passes through the shell.
//
// A cell that starts with = + - @ (or a tab or carriage return) would run as a formula in a
// spreadsheet; it gets a leading apostrophe, which spreadsheets show as text.
const FORMULA_START = /^[=+\-@\t\r]/;

/** German spreadsheets split columns at semicolons, English ones at commas. */
export function separatorFor(language: string): string {
  return language === "de" ? ";" : ",";
}

export function csvCell(value: string, separator: string): string {
  const guarded = FORMULA_START.test(value) ? `'${value}` : value;
  const needsQuotes =
    guarded.includes(separator) || /["\r\n]/.test(guarded) || guarded !== guarded.trim();
  return needsQuotes ? `"${guarded.replaceAll('"', '""')}"` : guarded;
}

/**
 * The rows as CSV, lines ended by CRLF (RFC 4180). It starts with a byte order mark so that
 * spreadsheets read umlauts as UTF-8.
 */
export function toCsv(rows: readonly (readonly string[])[], separator: string): string {
  const lines = rows.map((row) => row.map((cell) => csvCell(cell, separator)).join(separator));
  return `\uFEFF${lines.join("\r\n")}\r\n`;
}
