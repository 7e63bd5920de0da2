import { Redacted } from '../../domain/redacted.js';

/**
 * Converts a service result to its JSON wire form: dates become epoch seconds with
 * millisecond fractions, bytes become base64, and Redacted values are revealed: this
 * edge is the one place where a value is meant to leave the process.
 */
export function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (value instanceof Redacted) return toWire(value.reveal());
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map(toWire);
  if (value !== null && typeof value === 'object') {
    const wire: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) if (member !== undefined) wire[key] = toWire(member);
    return wire;
  }
  return value;
}

/**
 * A response body already in its wire form. The read path builds GetSecretValue's JSON
 * directly: walking a finished object through toWire costs more than the read itself.
 */
export class WireJson {
  constructor(readonly text: string) {}
}
