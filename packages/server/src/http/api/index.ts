import type { RotationEventStream } from '../../engine/event-stream.js';
import type { Logger } from '../../ports/logger.js';
import type { Rotator } from '../../ports/rotator.js';
import type { SecretServiceDeps } from '../../services/context.js';
import { requireSecret } from '../../services/resolve-secret.js';
import { createRollbackSecret, type RollbackSecretDeps } from '../../services/rollback-secret.js';
import { createRotationHistory, createRotationStatus } from '../../services/rotation-status.js';
import { createSchedulePreview } from '../../services/schedule-preview.js';
import type { EnsureFresh } from '../../services/ensure-fresh.js';
import type { OAuthInstallations } from '../../services/oauth-installations.js';
import { createReadSecretValue } from '../../services/read-secret-value.js';
import { createUpdateRotationSchedule } from '../../services/update-rotation-schedule.js';
import type { RequestToVerify, VerifiedCaller } from '../aws-json/sigv4.js';
import { createRotorApiHandler } from './handler.js';

export interface RotorApiWiring {
  readonly secrets: SecretServiceDeps;
  readonly ensureFresh: EnsureFresh;
  readonly installations: Pick<OAuthInstallations, 'importInstallations'>;
  readonly functions: RollbackSecretDeps['functions'];
  readonly builtins: ReadonlyMap<string, Rotator<never>>;
  readonly events: Pick<RotationEventStream, 'subscribe'>;
  readonly verify: (request: RequestToVerify) => Promise<VerifiedCaller>;
  /** A schedule changed: the scheduler should look again. */
  readonly onScheduleChanged: () => void;
  readonly logger: Logger;
}

/** Builds Rotor's own API (`/v1`) from the secret ports, the function registry and the event stream. */
export function createRotorApi(wiring: RotorApiWiring) {
  const { secrets, logger } = wiring;
  return createRotorApiHandler({
    services: {
      rotationStatus: createRotationStatus(secrets),
      rotationHistory: createRotationHistory(secrets),
      rollbackSecret: createRollbackSecret({ ...secrets, functions: wiring.functions, builtins: wiring.builtins, logger }),
      schedulePreview: createSchedulePreview(secrets),
      updateRotationSchedule: createUpdateRotationSchedule({ ...secrets, onScheduleChanged: wiring.onScheduleChanged }),
      resolveSecretArn: async (secretId) => (await requireSecret(secrets.store, secrets.installation, secretId, secrets.clock.now())).arn,
      readSecretValue: createReadSecretValue(secrets),
      ensureFresh: wiring.ensureFresh,
      importInstallations: (functionName, records, context) => wiring.installations.importInstallations(functionName, records, context),
    },
    events: wiring.events,
    verify: wiring.verify,
    logger,
  });
}
