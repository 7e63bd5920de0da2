import type { Logger } from '../../ports/logger.js';
import type { RotationFence, StepInvoker } from '../../ports/rotation-function.js';
import type { RotationSecretsApi, Rotator } from '../../ports/rotator.js';

/** Runs a built-in rotator's step in process, with the same event an external function gets. */
export function createBuiltinInvoker<Config>(deps: {
  rotator: Rotator<Config>;
  config: Config;
  secretsFor: (rotationToken: string, fence: RotationFence | undefined) => RotationSecretsApi;
  logger: Logger;
}): StepInvoker {
  const { rotator, config, logger } = deps;
  return {
    async invoke(event, context) {
      const rotatorContext = { event, config, secrets: deps.secretsFor(event.RotationToken, context.fence), signal: context.signal, logger };
      const step = rotator[event.Step].bind(rotator);
      // A built-in step cannot be interrupted mid-write; the timeout still bounds the wait.
      const running = step(rotatorContext);
      // If the timeout wins the race, the step's own later failure must not go unhandled.
      running.catch(() => undefined);
      let onAbort: (() => void) | undefined;
      try {
        await Promise.race([
          running,
          new Promise<never>((_, reject) => {
            if (context.signal.aborted) reject(context.signal.reason);
            onAbort = () => reject(context.signal.reason);
            context.signal.addEventListener('abort', onAbort, { once: true });
          }),
        ]);
      } finally {
        if (onAbort) context.signal.removeEventListener('abort', onAbort);
      }
    },
  };
}
