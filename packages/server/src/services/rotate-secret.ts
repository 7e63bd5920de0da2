import { AppError, Messages } from '../domain/errors.js';
import { parseRotationRules, type RotationRules } from '../domain/rotation-schedule.js';
import type { FunctionStore } from '../ports/function-store.js';
import type { StoredRotationConfig } from '../ports/rotation-store.js';
import { beginRotation } from './begin-rotation.js';
import type { RequestContext, SecretServiceDeps } from './context.js';
import { assertNotScheduledForDeletion, requireSecret } from './resolve-secret.js';
import { computeNextRotationAt } from './rotation-schedule-state.js';

export interface RotateSecretInput {
  readonly SecretId: string;
  readonly ClientRequestToken?: string | undefined;
  readonly RotationLambdaARN?: string | undefined;
  readonly RotationRules?: RotationRules | undefined;
  readonly RotateImmediately?: boolean | undefined;
}

/** Rotor's schedule options beyond AWS's RotationRules (Rotor API and CLI). */
export interface ScheduleExtensions {
  readonly timeZone?: string | undefined;
  readonly spread?: boolean | undefined;
  readonly resetOnManualChange?: boolean | undefined;
}

export interface RotateSecretOutput {
  ARN: string;
  Name: string;
  VersionId: string;
}

export const cannotInvokeMessage =
  'Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.';

/**
 * RotateSecret (reference §5.1): stores the configuration given in the call, then starts a
 * rotation that the engine drives asynchronously. The configuration is saved only if the
 * function exists; a secret with an unfinished rotation refuses both a new rotation and
 * a change of rules.
 */
export function createRotateSecret(deps: SecretServiceDeps & { functions: Pick<FunctionStore, 'findFunctionByArn'>; onRotationStarted: () => void }) {
  const { store, cipher, clock, installation, functions } = deps;
  return async function rotateSecret(input: RotateSecretInput, context: RequestContext, extensions: ScheduleExtensions = {}): Promise<RotateSecretOutput> {
    if (input.ClientRequestToken === undefined) throw new AppError('INVALID_PARAMETER', Messages.missingToken);
    const versionId = input.ClientRequestToken;
    if (input.RotationRules !== undefined) {
      parseRotationRules(input.RotationRules, { timeZone: extensions.timeZone, spread: extensions.spread });
    }
    // The function is looked up before the transaction: a transaction body touches its own
    // connection only (it may be rerun, and must not wait for a second pooled connection).
    const found = await requireSecret(store, installation, input.SecretId, clock.now());
    const checkedArn = input.RotationLambdaARN ?? (await store.getRotationConfig(found.arn))?.functionArn;
    const functionExists = checkedArn !== undefined && checkedArn !== '' && (await functions.findFunctionByArn(checkedArn)) !== undefined;
    const output = await store.transaction(async (tx) => {
      const now = clock.now();
      const secret = await requireSecret(tx, installation, input.SecretId, now);
      assertNotScheduledForDeletion(secret);
      const active = await tx.getActiveRotation(secret.arn);
      // A retry of the same call (same token) answers as the first one did.
      if (active && active.versionId === versionId) return { ARN: secret.arn, Name: secret.name, VersionId: versionId };
      const existing = await tx.getRotationConfig(secret.arn);
      const functionArn = input.RotationLambdaARN ?? existing?.functionArn;
      if (functionArn === undefined || functionArn === '') {
        throw new AppError('INVALID_REQUEST', 'No Lambda rotation function ARN is associated with this secret.');
      }
      if (functionArn !== checkedArn) {
        throw new AppError('INVALID_REQUEST', 'The rotation configuration changed while this call ran; retry it.');
      }
      if (!functionExists) throw new AppError('ACCESS_DENIED', cannotInvokeMessage);
      const rules = input.RotationRules ?? existing?.rules ?? {};
      const config: StoredRotationConfig = {
        enabled: true,
        functionArn,
        rules,
        timeZone: extensions.timeZone ?? existing?.timeZone,
        spread: extensions.spread ?? existing?.spread ?? false,
        resetOnManualChange: extensions.resetOnManualChange ?? existing?.resetOnManualChange ?? true,
        lastRotatedAt: existing?.lastRotatedAt,
        nextRotationAt: undefined,
        anchorAt: input.RotationRules !== undefined || !existing ? now : existing.anchorAt,
        // The credential's own expiry still counts; a person calling RotateSecret clears any attention flag.
        expiryDueAt: existing?.expiryDueAt,
      };
      const immediately = input.RotateImmediately ?? true;
      // beginRotation refuses while a previous rotation is unfinished, before anything is saved.
      await beginRotation(tx, cipher, {
        secret,
        functionArn,
        versionId,
        mode: immediately ? 'full' : 'test',
        trigger: 'api',
        now,
      });
      // A full rotation starting now is not due while it runs; its success sets the next date.
      const nextRotationAt = immediately ? undefined : computeNextRotationAt(config, secret.arn, config.anchorAt, now);
      await tx.setRotationConfig(secret.arn, { ...config, nextRotationAt });
      await tx.appendAudit({ at: now, actor: context.actor, operation: 'RotateSecret', secretArn: secret.arn, versionId });
      return { ARN: secret.arn, Name: secret.name, VersionId: versionId };
    });
    deps.onRotationStarted();
    return output;
  };
}
