import { printTable, type OutputFormat } from './output.js';

/** Rendering of SDK responses for the client commands: JSON for scripts, tables for people. */

function jsonValue(_key: string, value: unknown): unknown {
  // Binary secrets print as base64, as the AWS CLI prints them.
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}

/** Prints an SDK response without `$metadata`; dates become ISO strings through `Date#toJSON`. */
export function printJson(response: object): void {
  const { $metadata: _metadata, ...body } = response as Record<string, unknown>;
  process.stdout.write(`${JSON.stringify(body, jsonValue, 2)}\n`);
}

/** Prints one object as a two-column Field/Value table, skipping empty fields. */
export function printRecord(record: Record<string, unknown>): void {
  const rows = Object.entries(record)
    .filter(([, value]) => value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0))
    .map(([Field, Value]) => ({ Field, Value }));
  printTable(rows, ['Field', 'Value']);
}

/** Prints the response as JSON, or `table()` as a table. */
export function render(output: OutputFormat, response: object, table: () => void): void {
  if (output === 'json') printJson(response);
  else table();
}

export function tagsText(tags: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined): string | undefined {
  if (!tags || tags.length === 0) return undefined;
  return tags.map((tag) => `${tag.Key ?? ''}=${tag.Value ?? ''}`).join(',');
}
