import type { Logger } from '../ports/logger.js';

/**
 * Runs the purge of secrets whose recovery window has ended, once a minute. Lookups
 * already hide such secrets at once; the sweep only reclaims their rows and names.
 */
export function startPurgeSweeper(deps: { purge: () => Promise<number>; logger: Logger; intervalMs?: number }): () => void {
  const timer = setInterval(() => {
    deps.purge().then(
      (count) => {
        if (count > 0) deps.logger.info({ count }, 'purged secrets whose recovery window ended');
      },
      (error: unknown) => deps.logger.warn({ cause: error instanceof Error ? error.message : typeof error }, 'purge sweep failed'),
    );
  }, deps.intervalMs ?? 60_000);
  timer.unref();
  return () => clearInterval(timer);
}
