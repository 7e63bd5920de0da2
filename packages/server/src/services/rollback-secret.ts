import { AppError } from '../domain/errors.js';
import { RotationStepError, rotationUnfinished } from '../domain/rotation.js';
import { scrubSecretMaterial } from '../domain/scrub.js';
import { labelsAfterStageUpdate, Stage, type LabelMap } from '../domain/staging-labels.js';
import type { Logger } from '../ports/logger.js';
import type { CompensateEvent, Rotator } from '../ports/rotator.js';
import type { SecretReader, StoredSecret } from '../ports/secret-store.js';
import { newRotationToken } from './begin-rotation.js';
import type { RequestContext, SecretServiceDeps } from './context.js';
import { assertNotScheduledForDeletion, requireSecret } from './resolve-secret.js';
import type { FunctionDefinition } from './rotation-functions.js';
import { createRotationSecretsApi } from './rotation-secrets-api.js';

export interface RollbackOutput {
  ARN: string;
  Name: string;
  /** The version that is AWSCURRENT again. */
  VersionId: string;
  /** The version that was AWSCURRENT and now holds AWSPREVIOUS. */
  PreviousVersionId: string;
  /** Whether the function's compensate step ran before the labels moved. */
  Compensated: boolean;
}

export interface RollbackSecretDeps extends SecretServiceDeps {
  readonly functions: { definition(arn: string): Promise<{ name: string; definition: FunctionDefinition } | undefined> };
  readonly builtins: ReadonlyMap<string, Rotator<never>>;
  readonly logger: Logger;
  /** Bound on the compensate step. @default 30_000 */
  readonly compensateTimeoutMs?: number;
}

interface RollbackPlan {
  readonly current: string;
  readonly previous: string;
}

/** The refusals, checked before the compensate step and again inside the transaction. */
async function planRollback(reader: SecretReader, secret: StoredSecret, labels: LabelMap, rotating: boolean): Promise<RollbackPlan> {
  if (rotating || rotationUnfinished(labels)) {
    throw new AppError('INVALID_REQUEST', `A rotation of ${secret.name} is in progress; cancel it or let it finish before rolling back.`);
  }
  const current = labels.get(Stage.current);
  const previous = labels.get(Stage.previous);
  if (current === undefined || previous === undefined || previous === current) {
    throw new AppError('INVALID_REQUEST', `Secret ${secret.name} has no AWSPREVIOUS version to roll back to.`);
  }
  const version = await reader.getVersion(secret.arn, previous);
  if (!version || version.kind === 'empty') {
    throw new AppError('INVALID_REQUEST', `Version ${previous} has no value; it cannot become AWSCURRENT.`);
  }
  return { current, previous };
}

/**
 * Rollback (Rotor API, `rotor rollback`): AWSCURRENT moves back to the version holding
 * AWSPREVIOUS, and AWSPREVIOUS moves to the version that was current (staging-label rule
 * 2), so a second rollback undoes the first. Refused while a rotation is running or has
 * left AWSPENDING behind, and when there is no AWSPREVIOUS.
 *
 * When the secret's rotation function is a built-in whose rotator has a `compensate`
 * step, that step runs first (see `CompensateEvent`); if it fails nothing moves. Only
 * then does one transaction move the labels and append the `rolled-back` rotation event
 * and the audit record. External functions (handlers, URLs) have no compensate step.
 */
export function createRollbackSecret(deps: RollbackSecretDeps) {
  const { store, clock, installation, logger } = deps;
  const timeoutMs = deps.compensateTimeoutMs ?? 30_000;

  async function compensate(functionArn: string | undefined, event: CompensateEvent, actor: string): Promise<boolean> {
    if (functionArn === undefined) return false;
    const found = await deps.functions.definition(functionArn);
    if (found?.definition.kind !== 'builtin') return false;
    const rotator = deps.builtins.get(found.definition.builtin);
    if (!rotator?.compensate) return false;
    const signal = AbortSignal.timeout(timeoutMs);
    const running = rotator.compensate({
      event,
      config: found.definition.config as never,
      secrets: createRotationSecretsApi(deps, `rollback:${actor}`),
      signal,
      logger: logger.child({ secretId: event.SecretId, step: 'compensate' }),
    });
    running.catch(() => undefined);
    try {
      await Promise.race([
        running,
        new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new RotationStepError('The compensate step timed out.')), { once: true })),
      ]);
    } catch (thrown) {
      const reason = thrown instanceof RotationStepError ? scrubSecretMaterial(thrown.message, []) : 'the step failed unexpectedly';
      logger.warn({ secretId: event.SecretId, function: found.name, reason }, 'compensate step failed; rollback refused');
      throw new AppError('INVALID_REQUEST', `Rollback refused: the compensate step of function ${found.name} failed: ${reason}`);
    }
    return true;
  }

  return async function rollbackSecret(input: { readonly SecretId: string }, context: RequestContext): Promise<RollbackOutput> {
    const secret = await requireSecret(store, installation, input.SecretId, clock.now());
    assertNotScheduledForDeletion(secret);
    const latest = (await store.listRotations(secret.arn, 1))[0];
    const rotating = latest?.state === 'running' || latest?.state === 'retrying';
    const plan = await planRollback(store, secret, await store.getLabels(secret.arn), rotating);
    const config = await store.getRotationConfig(secret.arn);
    const compensated = await compensate(
      config?.functionArn,
      { Step: 'compensate', SecretId: secret.arn, ClientRequestToken: plan.previous, RotationToken: newRotationToken() },
      context.actor,
    );

    return store.transaction(async (tx) => {
      const now = clock.now();
      const fresh = await requireSecret(tx, installation, secret.arn, now);
      const labels = await tx.getLabels(fresh.arn);
      const again = await planRollback(tx, fresh, labels, (await tx.getActiveRotation(fresh.arn)) !== undefined);
      if (again.current !== plan.current || again.previous !== plan.previous) {
        throw new AppError('INVALID_REQUEST', `The versions of ${fresh.name} changed during the rollback; nothing was moved. Try again.`);
      }
      const changes = labelsAfterStageUpdate(labels, Stage.current, plan.previous, plan.current, (id) => id === plan.previous || id === plan.current);
      for (const change of changes) await tx.setLabel(fresh.arn, change.label, change.versionId);
      await tx.updateSecret(fresh.arn, { lastChangedAt: Math.max(now, fresh.lastChangedAt + 1) });
      // The event belongs to the run that made the abandoned version, when a rotation did.
      const maker = await tx.getLatestRotation(fresh.arn);
      await tx.appendRotationEvent({
        at: now,
        kind: 'rolled-back',
        secretArn: fresh.arn,
        secretName: fresh.name,
        rotationId: maker?.versionId === plan.current ? maker.id : undefined,
        versionId: plan.previous,
        step: undefined,
        attempt: undefined,
        message: `AWSCURRENT moved back from version ${plan.current} to ${plan.previous}${compensated ? ' after the compensate step' : ''}`,
      });
      await tx.appendAudit({ at: now, actor: context.actor, operation: 'RollbackSecret', secretArn: fresh.arn, versionId: plan.previous });
      return { ARN: fresh.arn, Name: fresh.name, VersionId: plan.previous, PreviousVersionId: plan.current, Compensated: compensated };
    });
  };
}
