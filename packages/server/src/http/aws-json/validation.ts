import type { z } from 'zod';
import { AppError, validationError } from '../../domain/errors.js';

/**
 * Turns zod issues into the errors AWS's front end gives: a member of the wrong JSON
 * type is a SerializationException; a missing or out-of-range member is a
 * ValidationException worded as Coral words it ("1 validation error detected: Value
 * 'x' at 'secretId' failed to satisfy constraint: Member must …"). Values of sensitive
 * members are never echoed.
 */
const sensitiveMembers = new Set(['SecretString', 'SecretBinary', 'RotationToken']);

function memberPath(path: readonly PropertyKey[]): string {
  const parts: string[] = [];
  for (const part of path) {
    if (typeof part === 'number') parts.push(`${part + 1}.member`);
    else {
      const name = String(part);
      parts.push(name.charAt(0).toLowerCase() + name.slice(1));
    }
  }
  return parts.join('.');
}

/** String() throws on a JSON object whose `toString` and `valueOf` members are not functions. */
function plainText(value: unknown): string {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) return '[object Object]';
  if (Array.isArray(value)) return value.map((item) => (item === null || item === undefined ? '' : plainText(item))).join(',');
  return String(value);
}

function renderValue(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') return `'${value.length > 256 ? `${value.slice(0, 256)}…` : value}'`;
  if (Array.isArray(value)) return `'[${value.map(plainText).join(', ')}]'`;
  return `'${plainText(value)}'`;
}

function constraint(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_small':
      return issue.origin === 'number'
        ? `Member must have value greater than or equal to ${String(issue.minimum)}`
        : `Member must have length greater than or equal to ${String(issue.minimum)}`;
    case 'too_big':
      return issue.origin === 'number'
        ? `Member must have value less than or equal to ${String(issue.maximum)}`
        : `Member must have length less than or equal to ${String(issue.maximum)}`;
    case 'invalid_format':
      return `Member must satisfy regular expression pattern: ${'pattern' in issue ? String(issue.pattern) : issue.format}`;
    case 'invalid_value':
      return `Member must satisfy enum value set: [${issue.values.map(String).join(', ')}]`;
    default:
      return 'Member must satisfy its constraint';
  }
}

export function toAwsValidationError(error: z.ZodError): AppError {
  const problems: string[] = [];
  for (const issue of error.issues) {
    const input = (issue as { input?: unknown }).input;
    const sensitive = issue.path.some((part) => typeof part === 'string' && sensitiveMembers.has(part));
    if (issue.code === 'invalid_type') {
      if (input === undefined) {
        problems.push(`Value null at '${memberPath(issue.path)}' failed to satisfy constraint: Member must not be null`);
        continue;
      }
      if (issue.expected === 'int') {
        problems.push(`Value ${sensitive ? '' : `${renderValue(input)} `}at '${memberPath(issue.path)}' failed to satisfy constraint: Member must be a whole number`);
        continue;
      }
      const where = issue.path.length === 0 ? 'the request body' : `'${issue.path.join('.')}'`;
      return new AppError('SERIALIZATION', `Expected ${issue.expected} for ${where} but found ${Array.isArray(input) ? 'array' : input === null ? 'null' : typeof input}.`);
    }
    const value = sensitive ? '' : `${renderValue(input)} `;
    problems.push(`Value ${value}at '${memberPath(issue.path)}' failed to satisfy constraint: ${constraint(issue)}`);
  }
  return validationError(problems);
}
