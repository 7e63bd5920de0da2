/**
 * Structured logging. Callers pass ids and outcomes, never secret values;
 * values are `Redacted` and print as a placeholder even if passed by mistake.
 *
 * @example
 * const log = logger.child({ requestId });
 * log.info({ operation: 'GetSecretValue', status: 200 }, 'request served');
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
  /** A logger whose every line carries `bindings` (requestId, secretId, rotationId, attempt). */
  child(bindings: Record<string, unknown>): Logger;
}
