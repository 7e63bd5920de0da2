import type { AddressInfo } from 'node:net';
import type { RotorConfig } from './config/config.js';
import { openDataDir, type DataDir } from './data-dir.js';
import { startPurgeSweeper } from './engine/purge-sweeper.js';
import { awsErrorType } from './http/aws-json/error-table.js';
import { createAwsJsonHandler } from './http/aws-json/handler.js';
import type { AwsJsonServices } from './http/aws-json/operations.js';
import { createSigV4Verifier } from './http/aws-json/sigv4.js';
import { createHttpServer } from './http/server.js';
import { systemClock, type Clock } from './ports/clock.js';
import type { Logger } from './ports/logger.js';
import { createBatchGetSecretValue } from './services/batch-get-secret-value.js';
import type { SecretServiceDeps } from './services/context.js';
import { createCreateSecret } from './services/create-secret.js';
import { createDeleteSecret } from './services/delete-secret.js';
import { createDescribeSecret } from './services/describe-secret.js';
import { createGetSecretValue } from './services/get-secret-value.js';
import { createListSecretVersionIds } from './services/list-secret-version-ids.js';
import { createListSecrets } from './services/list-secrets.js';
import { createPurgeDeletedSecrets } from './services/purge-deleted-secrets.js';
import { createPutSecretValue } from './services/put-secret-value.js';
import { createResourcePolicyService } from './services/resource-policy.js';
import { createRestoreSecret } from './services/restore-secret.js';
import { createTagResource } from './services/tag-resource.js';
import { createUntagResource } from './services/untag-resource.js';
import { createUpdateSecretVersionStage } from './services/update-secret-version-stage.js';
import { createUpdateSecret } from './services/update-secret.js';

export interface RunningRotor {
  readonly url: string;
  readonly dataDir: DataDir;
  close(): Promise<void>;
}

function createAwsJsonServices(deps: SecretServiceDeps): AwsJsonServices {
  const secretValues = createGetSecretValue(deps);
  return {
    createSecret: createCreateSecret(deps),
    secretValues,
    batchGetSecretValue: createBatchGetSecretValue({ ...deps, reader: secretValues, errorType: awsErrorType }),
    describeSecret: createDescribeSecret(deps),
    putSecretValue: createPutSecretValue(deps),
    updateSecret: createUpdateSecret(deps),
    updateSecretVersionStage: createUpdateSecretVersionStage(deps),
    listSecrets: createListSecrets(deps),
    listSecretVersionIds: createListSecretVersionIds(deps),
    deleteSecret: createDeleteSecret(deps),
    restoreSecret: createRestoreSecret(deps),
    tagResource: createTagResource(deps),
    untagResource: createUntagResource(deps),
    resourcePolicies: createResourcePolicyService(deps),
  };
}

/** The composition root: opens the data directory, wires services to the HTTP edge, listens. */
export async function startRotor(config: RotorConfig, options: { logger: Logger; clock?: Clock }): Promise<RunningRotor> {
  const clock = options.clock ?? systemClock;
  const { logger } = options;
  const dataDir = await openDataDir(config, clock);
  const deps: SecretServiceDeps = { store: dataDir.store, cipher: dataDir.cipher, clock, installation: dataDir.installation };
  const verify = createSigV4Verifier({
    region: config.region,
    service: 'secretsmanager',
    clock,
    lookupKey: (accessKeyId) => dataDir.accessKeys.activeSecret(accessKeyId),
  });
  const server = createHttpServer({
    awsJson: createAwsJsonHandler({ services: createAwsJsonServices(deps), verify, logger }),
    health: async () => ({ status: 'ok', store: 'sqlite' }),
    logger,
  });
  const stopSweeper = startPurgeSweeper({ purge: createPurgeDeletedSecrets(deps), logger });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    dataDir,
    async close() {
      stopSweeper();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await dataDir.close();
    },
  };
}
