import { randomUUID } from 'node:crypto';
import { AppError, Messages } from '../domain/errors.js';
import { defaultChainOf, isChainDead, parseInstallation, secondsValid, type OAuthInstallation } from '../domain/oauth-installation.js';
import { rotationUnfinished } from '../domain/rotation.js';
import { Stage } from '../domain/staging-labels.js';
import type { StoredRotation } from '../ports/rotation-store.js';
import type { StoredSecret } from '../ports/secret-store.js';
import { beginRotation } from './begin-rotation.js';
import type { SecretServiceDeps } from './context.js';
import { assertNotScheduledForDeletion, requireSecret } from './resolve-secret.js';
import { openVersionValue } from './write-version.js';

export interface EnsureFreshInput {
  readonly SecretId: string;
  /** The access token must stay valid at least this long. */
  readonly minValidSeconds: number;
  /** "This version was just rejected": refresh if it is still AWSCURRENT. */
  readonly ifVersion?: string | undefined;
  /** `bot`, `user` or `chain`; the installation's default chain when absent. */
  readonly chain?: string | undefined;
}

export interface EnsureFreshOutput {
  ARN: string;
  Name: string;
  VersionId: string;
  SecretString: string;
  Chain: string;
  AccessToken: string;
  /** Epoch seconds; null for a token that does not expire. */
  ExpiresAt: number | null;
  /** Whether this call waited for a refresh (its own or one it joined). */
  Refreshed: boolean;
  NextRotationDate: number | null;
}

export interface EnsureFreshDeps extends SecretServiceDeps {
  /** Resolves when the rotation ended (or at the deadline, with its state then). */
  readonly waitForRotation: (rotationId: string, secretArn: string, timeoutMs: number) => Promise<StoredRotation | undefined>;
  readonly onRotationStarted: () => void;
  /** How long a caller waits for a refresh before hearing 503. @default 25_000 */
  readonly waitMs?: number;
}

interface CurrentInstallation {
  readonly secret: StoredSecret;
  readonly versionId: string;
  readonly secretString: string;
  readonly installation: OAuthInstallation;
  readonly nextRotationAt: number | undefined;
}

/**
 * Ensure-fresh: a current access token valid for at least `minValidSeconds`, refreshing
 * first when it is not. Every caller, on any replica, coalesces onto the one active
 * rotation of the secret (a database invariant), so a thundering herd at expiry makes one
 * refresh. `ifVersion` lets a caller whose token was just rejected force a refresh, but
 * only while that version is still current — a herd of such callers still makes one.
 */
export function createEnsureFresh(deps: EnsureFreshDeps) {
  const { store, cipher, clock, installation } = deps;
  const waitMs = deps.waitMs ?? 25_000;

  async function readCurrent(secretId: string): Promise<CurrentInstallation> {
    const secret = await requireSecret(store, installation, secretId, clock.now());
    assertNotScheduledForDeletion(secret);
    const labels = await store.getLabels(secret.arn);
    const versionId = labels.get(Stage.current);
    const version = versionId === undefined ? undefined : await store.getVersion(secret.arn, versionId);
    if (versionId === undefined || !version || version.kind === 'empty') {
      throw new AppError('RESOURCE_NOT_FOUND', "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT");
    }
    const value = openVersionValue(cipher, secret, version);
    if (value.kind !== 'string') throw new AppError('INVALID_REQUEST', 'The secret holds a binary value, not an OAuth installation.');
    const secretString = value.value.reveal();
    const config = await store.getRotationConfig(secret.arn);
    return { secret, versionId, secretString, installation: parseInstallation(secretString), nextRotationAt: config?.nextRotationAt };
  }

  function output(current: CurrentInstallation, chainName: string, refreshed: boolean): EnsureFreshOutput {
    const chain = current.installation.chains.get(chainName)!;
    return {
      ARN: current.secret.arn,
      Name: current.secret.name,
      VersionId: current.versionId,
      SecretString: current.secretString,
      Chain: chainName,
      AccessToken: chain.access_token,
      ExpiresAt: chain.expires_at ?? null,
      Refreshed: refreshed,
      NextRotationDate: current.nextRotationAt === undefined ? null : Math.floor(current.nextRotationAt / 1000),
    };
  }

  /** Joins the secret's active rotation or starts one for `chainName`; returns its id. */
  async function joinOrStartRotation(secret: StoredSecret, chainName: string): Promise<StoredRotation> {
    const started = await store.transaction(async (tx) => {
      const now = clock.now();
      // The secret first: reading it in a transaction locks its row (PostgreSQL), so callers
      // on several replicas queue here and each sees the rotation the one before started,
      // instead of reading "no active rotation" and then the other's AWSPENDING.
      if (!(await tx.findSecretByArn(secret.arn))) throw new AppError('RESOURCE_NOT_FOUND', Messages.secretNotFound);
      const active = await tx.getActiveRotation(secret.arn);
      if (active) return { rotation: active, isNew: false };
      const config = await tx.getRotationConfig(secret.arn);
      if (!config) throw new AppError('INVALID_REQUEST', `Secret ${secret.name} has no rotation function to refresh it with; call RotateSecret first.`);
      const labels = await tx.getLabels(secret.arn);
      if (rotationUnfinished(labels)) {
        // A rotation that failed left AWSPENDING: reattempt it rather than refuse.
        const latest = await tx.getLatestRotation(secret.arn);
        if (latest?.state === 'failed' && latest.versionId === labels.get(Stage.pending) && (await tx.reopenFailedRotation(latest.id, now))) {
          return { rotation: { ...latest, state: 'running' as const }, isNew: true };
        }
        throw new AppError('INVALID_REQUEST', `AWSPENDING is attached to version ${labels.get(Stage.pending) ?? ''}, which no rotation can resume.`);
      }
      const rotation = await beginRotation(tx, cipher, {
        secret,
        functionArn: config.functionArn,
        versionId: randomUUID(),
        mode: 'full',
        trigger: 'api',
        now,
        checkpoint: JSON.stringify({ target: chainName }),
      });
      // Not due while it runs; its end sets the next date.
      await tx.setRotationConfig(secret.arn, { ...config, nextRotationAt: undefined });
      return { rotation, isNew: true };
    });
    if (started.isNew) deps.onRotationStarted();
    return started.rotation;
  }

  /** The access token the caller was refused: the chain's token in version `ifVersion`, if that version exists. */
  async function rejectedTokenOf(secret: StoredSecret, versionId: string, chainName: string): Promise<string | undefined> {
    const version = await store.getVersion(secret.arn, versionId);
    if (!version || version.kind !== 'string') return undefined;
    const value = openVersionValue(cipher, secret, version);
    if (value.kind !== 'string') return undefined;
    try {
      return parseInstallation(value.value.reveal()).chains.get(chainName)?.access_token;
    } catch {
      return undefined;
    }
  }

  return async function ensureFresh(input: EnsureFreshInput): Promise<EnsureFreshOutput> {
    let refreshed = false;
    // `ifVersion` names the version whose token was refused. What counts is that token: it
    // may still be current after a newer version refreshed only the installation's other chain.
    let rejectedToken: string | undefined;
    // Three rounds at most: a joined rotation may have refreshed another chain of the installation.
    for (let round = 0; ; round++) {
      const current = await readCurrent(input.SecretId);
      const chainName = input.chain ?? defaultChainOf(current.installation);
      const chain = current.installation.chains.get(chainName);
      if (!chain) throw new AppError('INVALID_PARAMETER', `The installation has no ${chainName} chain; it has ${[...current.installation.chains.keys()].join(', ')}.`);
      if (round === 0 && input.ifVersion !== undefined) {
        rejectedToken = input.ifVersion === current.versionId ? chain.access_token : await rejectedTokenOf(current.secret, input.ifVersion, chainName);
      }
      const forced = rejectedToken !== undefined && rejectedToken === chain.access_token;
      const validLongEnough = secondsValid(chain, clock.now() / 1000) >= input.minValidSeconds;
      if (isChainDead(chain)) {
        // A dead chain's token is served while it lasts, but never back to the caller that
        // just reported it refused (revoked, uninstalled): that caller needs to hear 409.
        if (validLongEnough && !forced) return output(current, chainName, refreshed);
        throw new AppError('REAUTHORIZATION_REQUIRED', `The ${chainName} chain of ${current.secret.name} can no longer be refreshed (${chain.status_reason ?? 'refused'}); install the app again.`);
      }
      if (!forced && (validLongEnough || refreshed)) return output(current, chainName, refreshed);
      if (round >= 3) return output(current, chainName, refreshed);
      const rotation = await joinOrStartRotation(current.secret, chainName);
      const ended = await deps.waitForRotation(rotation.id, current.secret.arn, waitMs);
      if (!ended || ended.state === 'running' || ended.state === 'retrying') {
        throw new AppError('PROVIDER_UNAVAILABLE', `The refresh of ${current.secret.name} has not finished yet${ended?.lastError ? ` (${ended.lastError})` : ''}; it goes on in the background.`);
      }
      if (ended.state === 'failed') {
        const after = await readCurrent(input.SecretId);
        const afterChain = after.installation.chains.get(chainName);
        if (afterChain && isChainDead(afterChain)) continue;
        throw new AppError('PROVIDER_UNAVAILABLE', `The refresh of ${current.secret.name} failed: ${ended.lastError ?? 'unknown error'}.`);
      }
      const after = await readCurrent(input.SecretId);
      refreshed = after.installation.chains.get(chainName)?.access_token !== chain.access_token;
      // The refused token is gone once the chain has a new one.
      if (refreshed) rejectedToken = undefined;
    }
  };
}

export type EnsureFresh = ReturnType<typeof createEnsureFresh>;
