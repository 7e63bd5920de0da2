import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { AppError } from '../domain/errors.js';
import { importInstallation, mergeInstallations, secretNameFor } from '../domain/installation-import.js';
import { expiryScheduleOf, parseInstallation, serializeInstallation, type OAuthInstallation } from '../domain/oauth-installation.js';
import { redact } from '../domain/redacted.js';
import { Stage } from '../domain/staging-labels.js';
import type { OAuthApp, OAuthAppResolver } from '../ports/oauth-app.js';
import type { StoredRotationConfig } from '../ports/rotation-store.js';
import type { RequestContext, SecretServiceDeps } from './context.js';
import { createCreateSecret } from './create-secret.js';
import { createPutSecretValue } from './put-secret-value.js';
import { requireSecret } from './resolve-secret.js';
import { computeNextRotationAt } from './rotation-schedule-state.js';
import { openVersionValue } from './write-version.js';

export interface StoredInstallation {
  ARN: string;
  Name: string;
  VersionId: string;
  /** Whether the secret was created (false: a new version of an existing installation). */
  Created: boolean;
  Chains: string[];
  NextRotationDate: number | null;
}

export interface OAuthInstallationsDeps extends SecretServiceDeps {
  readonly resolveApp: OAuthAppResolver;
  /** Signs the install flow's `state` (CSRF protection); stable across restarts and replicas. */
  readonly stateKey: Buffer;
  readonly onScheduleChanged: () => void;
  /** How long an install link stays valid. @default 600_000 */
  readonly stateTtlMs?: number;
}

/**
 * Installations flowing in without copy-paste: the OAuth redirect flow (install link →
 * provider consent → callback that exchanges the code) and imports of existing
 * installation stores. Each installation becomes (or updates) one secret, named by the
 * function's pattern, with rotation enabled and its schedule set by the tokens' expiry.
 */
const installNamePattern = /^[A-Za-z0-9_.-]{1,64}$/;

export function createOAuthInstallations(deps: OAuthInstallationsDeps) {
  const { store, cipher, clock, installation: rotorInstallation } = deps;
  const createSecret = createCreateSecret(deps);
  const putSecretValue = createPutSecretValue(deps);
  const stateTtlMs = deps.stateTtlMs ?? 600_000;

  async function requireApp(functionName: string): Promise<OAuthApp> {
    const app = await deps.resolveApp(functionName);
    if (!app) throw new AppError('RESOURCE_NOT_FOUND', `No slack or oauth2 function is named ${functionName}.`);
    return app;
  }

  async function readInstallationValue(arn: string): Promise<OAuthInstallation | undefined> {
    const secret = await store.findSecretByArn(arn);
    if (!secret) return undefined;
    const versionId = (await store.getLabels(arn)).get(Stage.current);
    const version = versionId === undefined ? undefined : await store.getVersion(arn, versionId);
    if (!version || version.kind !== 'string') return undefined;
    const value = openVersionValue(cipher, secret, version);
    if (value.kind !== 'string') return undefined;
    try {
      return parseInstallation(value.value.reveal());
    } catch {
      return undefined;
    }
  }

  async function clientCredentials(app: OAuthApp): Promise<{ clientId: string; clientSecret: string }> {
    const secret = await requireSecret(store, rotorInstallation, app.masterSecretArn, clock.now()).catch(() => {
      throw new AppError('INVALID_REQUEST', `The master secret ${app.masterSecretArn} of function ${app.functionName} does not exist.`);
    });
    const versionId = (await store.getLabels(secret.arn)).get(Stage.current);
    const version = versionId === undefined ? undefined : await store.getVersion(secret.arn, versionId);
    const value = version && version.kind === 'string' ? openVersionValue(cipher, secret, version) : undefined;
    let document: { client_id?: unknown; client_secret?: unknown } = {};
    try {
      document = value?.kind === 'string' ? (JSON.parse(value.value.reveal()) as typeof document) : {};
    } catch {
      // reported below
    }
    if (typeof document.client_id !== 'string' || typeof document.client_secret !== 'string') {
      throw new AppError('INVALID_REQUEST', `The master secret ${app.masterSecretArn} needs string fields client_id and client_secret.`);
    }
    return { clientId: document.client_id, clientSecret: document.client_secret };
  }

  /** Creates or updates the installation's secret and schedules its refreshes. */
  async function storeInstallation(app: OAuthApp, incoming: OAuthInstallation, installName: string, context: RequestContext): Promise<StoredInstallation> {
    if (incoming.provider !== (app.kind === 'slack' ? 'slack' : 'oauth2')) {
      throw new AppError('INVALID_REQUEST', `A ${incoming.provider} installation cannot be stored by the ${app.kind} function ${app.functionName}.`);
    }
    const name = secretNameFor(app.secretNamePattern, incoming, { function: app.functionName, install_name: installName });
    const existing = await store.findSecretByName(name);
    const merged = mergeInstallations(existing ? await readInstallationValue(existing.arn) : undefined, incoming);
    const value = { kind: 'string' as const, value: redact(serializeInstallation(merged)) };
    let arn: string;
    let versionId: string;
    if (existing) {
      const put = await putSecretValue({ SecretId: existing.arn, ClientRequestToken: randomUUID(), Value: value }, context);
      arn = put.ARN;
      versionId = put.VersionId;
    } else {
      const created = await createSecret(
        { Name: name, ClientRequestToken: randomUUID(), Value: value, Description: `${app.kind} installation (function ${app.functionName})` },
        context,
      );
      arn = created.ARN;
      versionId = created.VersionId!;
    }
    const nextRotationAt = await store.transaction(async (tx) => {
      const now = clock.now();
      const previous = await tx.getRotationConfig(arn);
      const schedule = expiryScheduleOf(merged, app.refreshFraction, Math.floor(now / 1000));
      const config: StoredRotationConfig = {
        enabled: true,
        functionArn: app.functionArn,
        rules: previous?.functionArn === app.functionArn ? previous.rules : {},
        timeZone: previous?.timeZone,
        spread: previous?.spread ?? false,
        resetOnManualChange: previous?.resetOnManualChange ?? true,
        lastRotatedAt: previous?.lastRotatedAt,
        nextRotationAt: undefined,
        anchorAt: now,
        expiryDueAt: schedule.dueAt === undefined ? undefined : Math.round(schedule.dueAt * 1000),
        // Only an installation whose every chain is dead waits for a person.
        attention: schedule.attention,
      };
      const next = (await tx.getActiveRotation(arn)) ? undefined : computeNextRotationAt(config, arn, now, now);
      await tx.setRotationConfig(arn, { ...config, nextRotationAt: next });
      return next;
    });
    deps.onScheduleChanged();
    return {
      ARN: arn,
      Name: name,
      VersionId: versionId,
      Created: !existing,
      Chains: [...merged.chains.keys()],
      NextRotationDate: nextRotationAt === undefined ? null : Math.floor(nextRotationAt / 1000),
    };
  }

  function signState(functionName: string, expiresAt: number, nonce: string, installName: string): string {
    return createHmac('sha256', deps.stateKey).update(`${functionName}\u0000${expiresAt}\u0000${nonce}\u0000${installName}`).digest('base64url');
  }

  /** The install name the signed state carries, once the state is proven ours and fresh. */
  function verifyState(functionName: string, state: string): string {
    const [expires, nonce, encodedName, signature] = state.split('.');
    const expiresAt = Number(expires);
    const invalid = () => new AppError('INVALID_REQUEST', 'The install link is not valid; start the installation again.');
    if (!expires || !nonce || encodedName === undefined || !signature || !Number.isSafeInteger(expiresAt)) throw invalid();
    const installName = Buffer.from(encodedName, 'base64url').toString('utf8');
    const expected = Buffer.from(signState(functionName, expiresAt, nonce, installName));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalid();
    if (clock.now() > expiresAt) throw new AppError('INVALID_REQUEST', 'The install link has expired; start the installation again.');
    return installName;
  }

  /** Fails before the code exchange when the name cannot be made from what is known without the provider's answer. */
  function assertNameable(app: OAuthApp, installName: string): void {
    if (app.kind !== 'oauth2') return;
    secretNameFor(app.secretNamePattern, { provider: 'oauth2', attributes: {}, chains: new Map() }, { function: app.functionName, install_name: installName });
  }

  return {
    /** Where the install link sends the browser: the provider's consent page with a signed state. */
    async installUrl(functionName: string, installName: string | null = null): Promise<string> {
      const app = await requireApp(functionName);
      const name = installName ?? 'default';
      if (!installNamePattern.test(name)) throw new AppError('INVALID_PARAMETER', 'An install name is 1-64 letters, digits, dots, hyphens or underscores.');
      assertNameable(app, name);
      const client = await clientCredentials(app);
      const expiresAt = clock.now() + stateTtlMs;
      const nonce = randomBytes(12).toString('base64url');
      const state = `${expiresAt}.${nonce}.${Buffer.from(name).toString('base64url')}.${signState(functionName, expiresAt, nonce, name)}`;
      try {
        return app.authorizeUrl(client.clientId, state, app.redirectUri);
      } catch {
        throw new AppError('INVALID_REQUEST', `Function ${functionName} has no authorizeUrl configured, so it has no install link.`);
      }
    },

    /** The redirect back from the provider: checks the state, exchanges the code, stores the installation. */
    async completeInstall(functionName: string, input: { code: string | null; state: string | null; error: string | null }): Promise<StoredInstallation> {
      const app = await requireApp(functionName);
      if (input.error) throw new AppError('INVALID_REQUEST', `The provider reported ${input.error.slice(0, 100)}; the app was not installed.`);
      if (!input.code || !input.state) throw new AppError('INVALID_REQUEST', 'The callback needs code and state parameters.');
      const installName = verifyState(functionName, input.state);
      assertNameable(app, installName);
      const client = await clientCredentials(app);
      const controller = new AbortController();
      let answer;
      try {
        answer = await app.exchangeCode(client, input.code, app.redirectUri, { signal: controller.signal, now: clock.now() });
      } catch (error) {
        throw new AppError('PROVIDER_UNAVAILABLE', `The provider did not complete the code exchange: ${error instanceof Error ? error.message : 'unknown error'}`);
      }
      if (answer.kind !== 'installed') throw new AppError('INVALID_REQUEST', `The provider refused the code (${answer.error}); the app was not installed.`);
      return storeInstallation(app, answer.installation, installName, { actor: `oauth-callback:${functionName}` });
    },

    /** `rotor oauth import`: records of an existing installation store, each stored as an installation. */
    async importInstallations(functionName: string, records: readonly unknown[], context: RequestContext): Promise<StoredInstallation[]> {
      const app = await requireApp(functionName);
      const issuedAt = Math.floor(clock.now() / 1000);
      const stored: StoredInstallation[] = [];
      for (const record of records) {
        const installName = typeof (record as { install_name?: unknown })?.install_name === 'string' ? (record as { install_name: string }).install_name : 'default';
        if (!installNamePattern.test(installName)) throw new AppError('INVALID_PARAMETER', 'An install_name is 1-64 letters, digits, dots, hyphens or underscores.');
        stored.push(await storeInstallation(app, importInstallation(record, issuedAt), installName, context));
      }
      return stored;
    },
  };
}

export type OAuthInstallations = ReturnType<typeof createOAuthInstallations>;
