/** How the CLI prints results: aligned tables for people, JSON for scripts. */
export type OutputFormat = 'table' | 'json';

function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(cell).join(',');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function printTable(rows: readonly Record<string, unknown>[], columns?: readonly string[]): void {
  const headers = columns ?? [...new Set(rows.flatMap((row) => Object.keys(row)))];
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const cells = rows.map((row) => headers.map((header) => cell(row[header])));
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((line) => line[i]!.length)));
  const format = (line: readonly string[]) => line.map((text, i) => text.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write(`${[format(headers), format(widths.map((w) => '-'.repeat(w))), ...cells.map(format)].join('\n')}\n`);
}
