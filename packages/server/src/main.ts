import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { openChangeNotifier } from './adapters/change-notifier/index.js';
import { lockDataDir } from './adapters/data-dir-lock.js';
import { createFunctionResolver, type StoredDefinition } from './adapters/functions/index.js';
import { signRotationCall } from './adapters/functions/url-invoker.js';
import { builtinRotators } from './adapters/rotators/index.js';
import { oauthAppOf } from './adapters/rotators/oauth/oauth-app.js';
import type { RotorConfig } from './config/config.js';
import { openDataDir, type DataDir } from './data-dir.js';
import { defaultRetryPolicy } from './domain/retry-policy.js';
import { createRotationEventStream } from './engine/event-stream.js';
import { startPurgeSweeper } from './engine/purge-sweeper.js';
import { createRotationScheduler } from './engine/rotation-scheduler.js';
import { createRotationWaiter } from './engine/rotation-waiter.js';
import { createRotationWorker } from './engine/rotation-worker.js';
import { createWebhookDelivery } from './engine/webhooks.js';
import { createRotorApi } from './http/api/index.js';
import { awsErrorType } from './http/aws-json/error-table.js';
import { createAwsJsonHandler } from './http/aws-json/handler.js';
import type { AwsJsonServices } from './http/aws-json/operations.js';
import { createSigV4Verifier } from './http/aws-json/sigv4.js';
import { createOAuthHandler } from './http/oauth/handler.js';
import { createHttpServer } from './http/server.js';
import { systemClock, type Clock } from './ports/clock.js';
import type { Logger } from './ports/logger.js';
import { createBatchGetSecretValue } from './services/batch-get-secret-value.js';
import { createCancelRotateSecret } from './services/cancel-rotate-secret.js';
import type { SecretServiceDeps } from './services/context.js';
import { createCreateSecret } from './services/create-secret.js';
import { createDeleteSecret } from './services/delete-secret.js';
import { createDescribeSecret } from './services/describe-secret.js';
import { createEnsureFresh } from './services/ensure-fresh.js';
import { createOAuthInstallations } from './services/oauth-installations.js';
import { createGetSecretValue } from './services/get-secret-value.js';
import { createListSecretVersionIds } from './services/list-secret-version-ids.js';
import { createListSecrets } from './services/list-secrets.js';
import { createPurgeDeletedSecrets } from './services/purge-deleted-secrets.js';
import { createPutSecretValue } from './services/put-secret-value.js';
import { createResourcePolicyService } from './services/resource-policy.js';
import { createRotationProgress } from './services/record-rotation-progress.js';
import { createRestoreSecret } from './services/restore-secret.js';
import { createRotateSecret } from './services/rotate-secret.js';
import { createRotationFunctions, functionArn, type RotationFunctions } from './services/rotation-functions.js';
import { createRotationSecretsApi } from './services/rotation-secrets-api.js';
import { createSecretMaterial } from './services/secret-material.js';
import { createStartScheduledRotation } from './services/start-scheduled-rotation.js';
import { createTagResource } from './services/tag-resource.js';
import { createUntagResource } from './services/untag-resource.js';
import { createUpdateSecretVersionStage } from './services/update-secret-version-stage.js';
import { createUpdateSecret } from './services/update-secret.js';

export interface RunningRotor {
  readonly url: string;
  readonly dataDir: DataDir;
  readonly functions: RotationFunctions;
  /** Look for due and runnable rotations now (after the clock jumped, say) instead of at the next poll. */
  wake(): void;
  close(): Promise<void>;
}

function createAwsJsonServices(deps: SecretServiceDeps, rotation: Pick<AwsJsonServices, 'rotateSecret' | 'cancelRotateSecret'>): AwsJsonServices {
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
    ...rotation,
  };
}

/** The composition root: opens the data directory, wires services to the HTTP edge, listens. */
export async function startRotor(config: RotorConfig, options: { logger: Logger; clock?: Clock }): Promise<RunningRotor> {
  const clock = options.clock ?? systemClock;
  const { logger } = options;
  const dataDir = await openDataDir(config, clock);
  let unlock: () => void;
  try {
    unlock = lockDataDir(dataDir.path);
  } catch (error) {
    await dataDir.close();
    throw error;
  }
  // Commits of every replica wake the event stream and (schedules moved earlier) the scheduler.
  let opened: Awaited<ReturnType<typeof openChangeNotifier<DataDir['store']>>>;
  try {
    opened = await openChangeNotifier({ store: dataDir.store, database: config.database, logger: logger.child({ component: 'change-notifier' }) });
  } catch (error) {
    await dataDir.close();
    unlock();
    throw error;
  }
  const { notifier, store } = opened;
  const deps: SecretServiceDeps = { store, cipher: dataDir.cipher, clock, installation: dataDir.installation };
  let url = '';

  // The rotation engine: registered functions, a worker that runs steps, a scheduler that starts them.
  const functions = createRotationFunctions({ functions: store, cipher: dataDir.cipher, clock, installation: dataDir.installation, builtins: builtinRotators });
  const resolveFunction = createFunctionResolver({
    definition: async (arn) => (await functions.definition(arn)) as { name: string; definition: StoredDefinition } | undefined,
    builtins: builtinRotators,
    secretsFor: (rotationToken, fence) => createRotationSecretsApi(deps, `rotation:${rotationToken.slice(0, 8)}`, fence),
    region: config.region,
    endpointUrl: () => url,
    logger,
  });
  // Lease owner: on SQLite one server owns the data directory, so a stable id lets a
  // restarted server take its dead predecessor's leases back at once; replicas sharing
  // PostgreSQL each need their own id, and wait for a dead replica's leases to expire.
  const owner =
    dataDir.backend === 'sqlite'
      ? (await store.getOrCreateMeta('node-id', () => Buffer.from(randomBytes(8).toString('hex')))).toString('utf8')
      : `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  const worker = createRotationWorker({
    rotations: store,
    progress: createRotationProgress({ store, clock, retryPolicy: defaultRetryPolicy }),
    resolveFunction,
    issueCredentials: async (rotation, ttlMs) => {
      const key = await dataDir.accessKeys.issue({ name: `rotation:${rotation.id}`, ttlMs });
      return {
        accessKeyId: key.accessKeyId,
        secretAccessKey: key.secretAccessKey.reveal(),
        sessionToken: key.sessionToken?.reveal() ?? '',
        revoke: () => dataDir.accessKeys.revoke(key.accessKeyId),
      };
    },
    secretMaterial: createSecretMaterial(deps),
    clock,
    logger: logger.child({ component: 'rotation-worker' }),
    owner,
  });
  const scheduler = createRotationScheduler({
    rotations: store,
    startScheduledRotation: createStartScheduledRotation(deps),
    onStarted: () => worker.wake(),
    clock,
    logger: logger.child({ component: 'rotation-scheduler' }),
  });
  const rotationServices = {
    rotateSecret: createRotateSecret({
      ...deps,
      functions: store,
      onRotationStarted: () => {
        worker.wake();
        scheduler.wake();
      },
    }),
    cancelRotateSecret: createCancelRotateSecret(deps),
  };
  const lookupKey = (accessKeyId: string) => dataDir.accessKeys.activeSecret(accessKeyId);
  const verify = createSigV4Verifier({ region: config.region, service: 'secretsmanager', clock, lookupKey });
  // Rotor's own API and event stream; webhooks follow the same durable event log.
  const events = createRotationEventStream({ events: store, changes: notifier, logger: logger.child({ component: 'event-stream' }) });
  const stopScheduleWakes = notifier.subscribe((kind) => {
    if (kind === 'rotation-schedules') scheduler.wake();
  });
  const webhooks = createWebhookDelivery({
    targets: config.webhooks,
    events: store,
    stream: events,
    // The HMAC key is the webhook secret's UTF-8 bytes (signRotationCall takes base64).
    sign: (secret, timestamp, body) => signRotationCall(Buffer.from(secret, 'utf8').toString('base64'), timestamp, body),
    now: () => clock.now(),
    logger: logger.child({ component: 'webhooks' }),
  });
  // OAuth: ensure-fresh joins or starts the one rotation of a secret and waits for it;
  // installations arrive through the redirect flow or imports.
  const waiter = createRotationWaiter({ getRotation: (id) => store.transaction((tx) => tx.getRotation(id)), events });
  const ensureFresh = createEnsureFresh({
    ...deps,
    waitForRotation: (id, arn, timeoutMs) => waiter.wait(id, arn, timeoutMs),
    onRotationStarted: () => worker.wake(),
  });
  const installations = createOAuthInstallations({
    ...deps,
    stateKey: await store.getOrCreateMeta('oauth-state-key', () => randomBytes(32)),
    resolveApp: async (name) => {
      const arn = functionArn(dataDir.installation, name);
      const found = await functions.definition(arn);
      if (found?.definition.kind !== 'builtin') return undefined;
      return oauthAppOf({ name, arn, builtin: found.definition.builtin, config: found.definition.config });
    },
    onScheduleChanged: () => scheduler.wake(),
  });
  const server = createHttpServer({
    awsJson: createAwsJsonHandler({ services: createAwsJsonServices(deps, rotationServices), verify, logger }),
    api: createRotorApi({
      secrets: deps,
      ensureFresh,
      installations,
      functions,
      builtins: builtinRotators,
      events,
      verify: createSigV4Verifier({ region: config.region, service: 'rotor', clock, lookupKey }),
      onScheduleChanged: () => scheduler.wake(),
      logger,
    }),
    clock: options.clock,
    oauth: createOAuthHandler({ installations, logger: logger.child({ component: 'oauth' }) }),
    // Unauthenticated, so it tells only what an operator's load balancer needs: whether the
    // database answers, which store this is, and how much rotation work this replica holds.
    health: async () => {
      await store.getMeta('account-id');
      return { status: 'ok', store: dataDir.backend, replica: owner, rotationsInFlight: worker.inFlight };
    },
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
  url = `http://${host}:${address.port}`;
  await worker.start();
  scheduler.start();
  await webhooks.start();
  return {
    url,
    dataDir,
    functions,
    wake() {
      scheduler.wake();
      worker.wake();
    },
    async close() {
      stopSweeper();
      // Ends the open event streams, which would otherwise keep server.close() waiting.
      events.stop();
      await webhooks.stop();
      await scheduler.stop();
      await worker.stop();
      stopScheduleWakes();
      await notifier.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await dataDir.close();
      unlock();
    },
  };
}
