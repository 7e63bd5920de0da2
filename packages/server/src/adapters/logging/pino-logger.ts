import { destination, pino, type Logger as Pino } from 'pino';
import type { Logger } from '../../ports/logger.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * The Logger port on pino, writing JSON lines to stderr (stdout carries the banner and
 * CLI output). The redact list is only a backstop: values are Redacted and never
 * passed to a logger in the first place.
 */
function wrap(logger: Pino): Logger {
  return {
    debug: (fields, message) => logger.debug(fields, message),
    info: (fields, message) => logger.info(fields, message),
    warn: (fields, message) => logger.warn(fields, message),
    error: (fields, message) => logger.error(fields, message),
    child: (bindings) => wrap(logger.child(bindings)),
  };
}

export function createPinoLogger(level: LogLevel): Logger {
  return wrap(
    pino(
      {
        level,
        base: { service: 'rotor' },
        redact: {
          paths: ['*.SecretString', '*.SecretBinary', '*.secretAccessKey', '*.password', '*.token', 'SecretString', 'SecretBinary'],
          censor: '[REDACTED]',
        },
      },
      destination({ fd: 2, sync: false }),
    ),
  );
}
