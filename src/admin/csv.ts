/**
 * CSV for spreadsheets (RFC 4180), safe to open: a cell that begins with
 * =, +, -, @, a tab or a carriage return would run as a formula in Excel or
 * Sheets (CSV injection), so it is prefixed with an apostrophe.
 */
export function csvCell(value: unknown): string {
  let s = value === null || value === undefined ? '' : value instanceof Date ? value.toISOString() : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRow(values: unknown[]): string {
  return values.map(csvCell).join(',') + '\r\n';
}
