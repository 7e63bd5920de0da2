import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  isChainDead,
  needsExchange,
  expiryScheduleOf,
  nextChainDue,
  parseInstallation,
  serializeInstallation,
  withChain,
  classifyProviderError,
  type OAuthInstallation,
  type TokenChain,
} from '../../../domain/oauth-installation.js';
import { AppError } from '../../../domain/errors.js';
import { redact } from '../../../domain/redacted.js';
import { RotationStepError } from '../../../domain/rotation.js';
import type { RotationSecretsApi, Rotator, RotatorContext } from '../../../ports/rotator.js';
import { finishByMakingCurrent, requirePendingVersion } from '../standard-steps.js';
import { createOAuth2Provider } from './oauth2-provider.js';
import { ProviderAnswerLost, ProviderUnreached } from './provider-http.js';
import { createSlackProvider } from './slack-provider.js';
import type { ClientCredentials, ProviderAnswer, TokenGrant, TokenProvider } from './token-provider.js';

/**
 * The `slack` and `oauth2` rotators: one rotation refreshes one chain of an OAuth
 * installation (the one due first, or the one an ensure-fresh call names), so a bot and a
 * user chain never clobber each other and each rotation makes exactly one provider call.
 *
 * createSecret is the dangerous step, written to reference §5:
 * 1. the intent (chain, refresh-token hash, send time) is checkpointed durably first;
 * 2. the provider is called once;
 * 3. its answer is stored as AWSPENDING (one transaction, synced) before anything uses it;
 * 4. an answer that may have been lost (timeout, reset, 5xx, Slack internal_error) is
 *    retried with the same refresh token — quickly, inside the provider's grace window —
 *    and never with any older token;
 * 5. a refusal that only a person can fix marks the chain `reauthorization_required` in
 *    the new version, and finishSecret stops the schedule and reports it once.
 */
const installSettings = z
  .object({
    /**
     * Secret name of a new installation: `{team_id}`, `{enterprise_id}`, `{team_or_enterprise_id}`,
     * `{app_id}`, `{user_id}` from the provider's answer; `{function}`; `{install_name}` from the
     * install link's `?name=` (or an imported record's `install_name`).
     */
    secretNamePattern: z.string().min(1).max(512).optional(),
    redirectUri: z.string().url().optional(),
    scopes: z.array(z.string().min(1)).optional(),
    userScopes: z.array(z.string().min(1)).optional(),
  })
  .strict();

const commonSettings = {
  /** ARN (or name) of the master secret holding `{"client_id","client_secret"}`; never copied into installations. */
  masterSecretArn: z.string().min(1),
  /** Refresh once this fraction of a token's lifetime has passed. */
  refreshFraction: z.number().gt(0).lt(1).optional(),
  /** The provider's grace window for presenting a just-used refresh token again (Slack: undocumented, short). */
  graceSeconds: z.number().min(0).max(86_400).optional(),
  clientAuth: z.enum(['client_secret_basic', 'client_secret_post']).optional(),
  requestTimeoutMs: z.number().int().min(100).max(25_000).optional(),
  /** How long to wait before asking again after the provider rejected the client credentials. */
  misconfiguredRetrySeconds: z.number().int().min(1).max(86_400).optional(),
  install: installSettings.optional(),
};

export const slackRotatorConfig = z
  .object({
    ...commonSettings,
    apiBaseUrl: z.string().url().optional(),
    authorizeUrl: z.string().url().optional(),
  })
  .strict();

export const oauth2RotatorConfig = z
  .object({
    ...commonSettings,
    tokenUrl: z.string().url(),
    authorizeUrl: z.string().url().optional(),
    checkUrl: z.string().url().optional(),
  })
  .strict();

export type SlackRotatorConfig = z.infer<typeof slackRotatorConfig>;
export type OAuth2RotatorConfig = z.infer<typeof oauth2RotatorConfig>;
export type OAuthRotatorConfig = SlackRotatorConfig | OAuth2RotatorConfig;

export interface OAuthFunctionSettings {
  readonly provider: TokenProvider;
  readonly masterSecretArn: string;
  readonly refreshFraction: number;
  readonly graceSeconds: number;
  readonly misconfiguredRetryMs: number;
  readonly secretNamePattern: string;
  readonly redirectUri: string | undefined;
}

/** A function's configuration resolved into a provider client and its defaults. */
export function oauthSettingsOf(kind: string, config: OAuthRotatorConfig): OAuthFunctionSettings {
  // Shorter than Slack's (undocumented, short) grace window, so a timed-out refresh can still be replayed inside it.
  const requestTimeoutMs = config.requestTimeoutMs ?? 5_000;
  const provider =
    kind === 'slack'
      ? createSlackProvider({
          apiBaseUrl: (config as SlackRotatorConfig).apiBaseUrl ?? 'https://slack.com/api',
          authorizeUrl: config.authorizeUrl ?? 'https://slack.com/oauth/v2/authorize',
          clientAuth: config.clientAuth ?? 'client_secret_basic',
          requestTimeoutMs,
          scopes: config.install?.scopes ?? [],
          userScopes: config.install?.userScopes ?? [],
        })
      : createOAuth2Provider({
          tokenUrl: (config as OAuth2RotatorConfig).tokenUrl,
          authorizeUrl: config.authorizeUrl,
          checkUrl: (config as OAuth2RotatorConfig).checkUrl,
          clientAuth: config.clientAuth ?? 'client_secret_basic',
          requestTimeoutMs,
          scopes: config.install?.scopes ?? [],
        });
  return {
    provider,
    masterSecretArn: config.masterSecretArn,
    refreshFraction: config.refreshFraction ?? 0.5,
    graceSeconds: config.graceSeconds ?? (kind === 'slack' ? 10 : 0),
    misconfiguredRetryMs: (config.misconfiguredRetrySeconds ?? 300) * 1000,
    secretNamePattern: config.install?.secretNamePattern ?? (kind === 'slack' ? 'slack/{team_or_enterprise_id}' : 'oauth2/{function}/{install_name}'),
    redirectUri: config.install?.redirectUri,
  };
}

/** First 16 hex characters of SHA-256: enough to recognise a token, useless to use one. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex').slice(0, 16);
}

/** Reads `{"client_id","client_secret"}` from the master secret. */
export async function readClientCredentials(secrets: Pick<RotationSecretsApi, 'getValue'>, masterSecretArn: string): Promise<ClientCredentials> {
  let value;
  try {
    value = await secrets.getValue(masterSecretArn, { stage: 'AWSCURRENT' });
  } catch {
    throw new RotationStepError(`The master secret ${masterSecretArn} cannot be read.`, { retryable: false });
  }
  if (value?.kind !== 'string') throw new RotationStepError(`The master secret ${masterSecretArn} has no SecretString.`, { retryable: false });
  let document: { client_id?: unknown; client_secret?: unknown };
  try {
    document = JSON.parse(value.value.reveal()) as typeof document;
  } catch {
    throw new RotationStepError(`The master secret ${masterSecretArn} is not JSON.`, { retryable: false });
  }
  if (typeof document.client_id !== 'string' || typeof document.client_secret !== 'string') {
    throw new RotationStepError(`The master secret ${masterSecretArn} needs string fields client_id and client_secret.`, { retryable: false });
  }
  return { clientId: document.client_id, clientSecret: document.client_secret };
}

/** The rotation's checkpoint, as the OAuth rotators write it (StoredRotation.checkpoint). */
interface OAuthCheckpoint {
  /** The chain an ensure-fresh call asked for. */
  target?: string;
  /** The chain this rotation refreshes, fixed on its first attempt. */
  chain?: string;
  /** Hash of the refresh (or long-lived) token sent, while its answer is not stored: the write-ahead intent. */
  sentHash?: string;
  sentAt?: number;
  /** Sends of that same token whose answer was lost. */
  lostAnswers?: number;
  misconfiguredReported?: boolean;
  /** finishSecret reported the chain dead (so the event is sent once). */
  deathReported?: boolean;
}

async function readInstallation(secrets: RotationSecretsApi, secretId: string, selector: { versionId?: string; stage?: string }): Promise<OAuthInstallation | undefined> {
  const value = await secrets.getValue(secretId, selector);
  if (!value) return undefined;
  if (value.kind !== 'string') throw new RotationStepError('The secret holds a binary value, not an OAuth installation.', { retryable: false });
  try {
    return parseInstallation(value.value.reveal());
  } catch (error) {
    throw new RotationStepError(error instanceof Error ? error.message : 'The secret is not an OAuth installation.', { retryable: false });
  }
}

function refreshedChain(previous: TokenChain, grant: TokenGrant, sentAtSeconds: number): TokenChain {
  const { status: _status, status_reason: _reason, status_at: _at, ...kept } = previous;
  const chain: Record<string, unknown> = {
    ...kept,
    token_type: grant.token_type || previous.token_type,
    access_token: grant.access_token,
    // A provider that keeps the refresh token (HubSpot) or omits it (Google) leaves ours in place.
    refresh_token: grant.refresh_token ?? previous.refresh_token,
    issued_at: sentAtSeconds,
  };
  if (grant.expires_in !== undefined) chain.expires_at = sentAtSeconds + grant.expires_in;
  else delete chain.expires_at;
  if (grant.scope !== undefined) chain.scope = grant.scope;
  if (grant.bot_user_id !== undefined) chain.bot_user_id = grant.bot_user_id;
  if (grant.user_id !== undefined) chain.user_id = grant.user_id;
  if (chain.refresh_token === undefined) delete chain.refresh_token;
  return chain as unknown as TokenChain;
}

function deadChain(previous: TokenChain, reason: string, atSeconds: number): TokenChain {
  return { ...previous, status: 'reauthorization_required', status_reason: reason, status_at: atSeconds };
}

/** Stores the pending version; a failed write is retried with the answer still in memory (scenario 9). */
async function storePending(context: RotatorContext<unknown>, installation: OAuthInstallation): Promise<void> {
  const { event, secrets } = context;
  const value = { kind: 'string' as const, value: redact(serializeInstallation(installation)) };
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      await secrets.putPendingValue(event.SecretId, event.ClientRequestToken, value);
      return;
    } catch (error) {
      // A fenced write (this run lost the rotation) or a refused one is final; only the store's own trouble is retried.
      if (error instanceof RotationStepError || error instanceof AppError) throw error;
      lastError = error;
      if (context.signal.aborted) break;
      await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
    }
  }
  throw new RotationStepError('The refreshed tokens could not be stored; the refresh will be retried with the same refresh token while the provider allows it.', {
    cause: lastError,
  });
}

export function createOAuthRotator<Config extends OAuthRotatorConfig>(kind: 'slack' | 'oauth2', schema: z.ZodType<Config>): Rotator<Config> {
  const settingsCache = new WeakMap<object, OAuthFunctionSettings>();
  const settingsFor = (config: Config): OAuthFunctionSettings => {
    let settings = settingsCache.get(config);
    if (!settings) {
      settings = oauthSettingsOf(kind, config);
      settingsCache.set(config, settings);
    }
    return settings;
  };

  async function createSecret(context: RotatorContext<Config>): Promise<void> {
    const { event, secrets, config, logger } = context;
    await requirePendingVersion(secrets, event);
    // Idempotent: once the answer is stored, a rerun (crash, retry) does nothing.
    if (await secrets.getValue(event.SecretId, { versionId: event.ClientRequestToken })) return;
    const settings = settingsFor(config);
    const current = await readInstallation(secrets, event.SecretId, { stage: 'AWSCURRENT' });
    if (!current) throw new RotationStepError('The secret has no AWSCURRENT value to refresh.', { retryable: false });
    const checkpoint: OAuthCheckpoint = ((await secrets.readCheckpoint(event.SecretId, event.ClientRequestToken)) as OAuthCheckpoint | undefined) ?? {};
    const nowMs = secrets.now();
    const nowSeconds = Math.floor(nowMs / 1000);

    const chainName = checkpoint.chain ?? checkpoint.target ?? nextChainDue(current, settings.refreshFraction, nowSeconds)?.name;
    const chain = chainName === undefined ? undefined : current.chains.get(chainName);
    if (chainName === undefined || !chain) {
      throw new RotationStepError('No chain of this installation can be refreshed: every chain needs a new installation.', { retryable: false });
    }
    if (isChainDead(chain)) throw new RotationStepError(`The ${chainName} chain needs a new installation; it is not refreshed.`, { retryable: false });
    const exchanging = needsExchange(current.provider, chain);
    if (!exchanging && chain.refresh_token === undefined) {
      throw new RotationStepError(`The ${chainName} chain has no refresh token to rotate.`, { retryable: false });
    }
    const presented = exchanging ? chain.access_token : chain.refresh_token!;
    const presentedHash = tokenHash(presented);

    // An earlier attempt sent this very token and its answer never got stored: ambiguous.
    // It is retried with the same token — never an older one — and the provider's answer
    // settles it: inside its grace window it grants again; outside, it refuses with
    // invalid_refresh_token and the chain is marked below. Giving up without asking would
    // kill installations during a plain outage, since a 5xx before the provider committed
    // looks exactly like one after.
    const retryingLostAnswer = checkpoint.sentHash === presentedHash && checkpoint.sentAt !== undefined;
    if (retryingLostAnswer) {
      const sinceSendMs = nowMs - checkpoint.sentAt!;
      logger.warn(
        { chain: chainName, sinceSendMs, insideGrace: sinceSendMs <= settings.graceSeconds * 1000, lostAnswers: checkpoint.lostAnswers ?? 0 },
        'retrying a refresh whose answer was lost',
      );
    }

    const intent: OAuthCheckpoint = {
      ...checkpoint,
      chain: chainName,
      sentHash: presentedHash,
      // The first send's time: the grace window counts from it, and so does the new token's expiry.
      sentAt: retryingLostAnswer ? checkpoint.sentAt : nowMs,
      lostAnswers: retryingLostAnswer ? (checkpoint.lostAnswers ?? 0) : 0,
    };
    await secrets.writeCheckpoint(event.SecretId, event.ClientRequestToken, intent as Record<string, unknown>);

    const client = await readClientCredentials(secrets, settings.masterSecretArn);
    let answer: ProviderAnswer;
    let sentIntent = intent;
    for (let replays = 0; ; replays++) {
      try {
        answer = exchanging
          ? await settings.provider.exchange(client, chainName, chain, { signal: context.signal, now: nowMs })
          : await settings.provider.refresh(client, chainName, chain, { signal: context.signal, now: nowMs });
        break;
      } catch (error) {
        if (error instanceof ProviderUnreached) {
          // Nothing left this process: the token is as unused as before.
          await secrets.writeCheckpoint(event.SecretId, event.ClientRequestToken, { ...sentIntent, sentHash: undefined, sentAt: undefined } as Record<string, unknown>);
          throw new RotationStepError(error.message);
        }
        if (!(error instanceof ProviderAnswerLost)) throw error;
        sentIntent = { ...sentIntent, lostAnswers: (sentIntent.lostAnswers ?? 0) + 1 };
        await secrets.writeCheckpoint(event.SecretId, event.ClientRequestToken, sentIntent as Record<string, unknown>);
        // Inside the provider's grace window the same token is replayed at once, in this step;
        // after it, the retry policy waits and the provider's answer to the replay decides.
        const insideGrace = secrets.now() - sentIntent.sentAt! < settings.graceSeconds * 1000;
        if (insideGrace && replays < 2 && !context.signal.aborted) {
          logger.warn({ chain: chainName, lostAnswers: sentIntent.lostAnswers }, 'refresh answer lost; replaying the same token inside the grace window');
          continue;
        }
        throw new RotationStepError(`${error.message} The refresh may have happened; it is retried with the same refresh token.`);
      }
    }

    if (answer.kind === 'granted') {
      const sentAtSeconds = Math.floor((intent.sentAt ?? nowMs) / 1000);
      let next = withChain(current, chainName, refreshedChain(chain, answer.grant, sentAtSeconds));
      if (Object.keys(answer.grant.attributes).length > 0) next = { ...next, attributes: { ...next.attributes, ...answer.grant.attributes } };
      await storePending(context, next);
      return;
    }

    // Refused: nothing was committed by the provider.
    await secrets.writeCheckpoint(event.SecretId, event.ClientRequestToken, { ...intent, sentHash: undefined, sentAt: undefined } as Record<string, unknown>);
    const errorClass = answer.error === 'ratelimited' || answer.error === 'rate_limited' ? 'transient' : classifyProviderError(answer.error);
    if (errorClass === 'terminal') {
      // Someone may have stored a newer token while this ran (a reinstall): then nothing is dead.
      const latest = await readInstallation(secrets, event.SecretId, { stage: 'AWSCURRENT' });
      const latestChain = latest?.chains.get(chainName);
      const latestPresented = latestChain && (needsExchange(latest!.provider, latestChain) ? latestChain.access_token : latestChain.refresh_token);
      if (latestPresented !== undefined && tokenHash(latestPresented) !== presentedHash) {
        throw new RotationStepError(`The provider refused a ${chainName} token that has since been replaced; retrying with the stored one.`, { retryAfterMs: 0 });
      }
      await storePending(context, withChain(current, chainName, deadChain(chain, answer.error, nowSeconds)));
      return;
    }
    if (errorClass === 'client') {
      if (!checkpoint.misconfiguredReported) {
        await secrets.reportEvent(event.SecretId, {
          kind: 'function-misconfigured',
          message: `The provider rejected the client credentials of the master secret ${settings.masterSecretArn} (${answer.error}); the installation is untouched.`,
        });
        await secrets.writeCheckpoint(event.SecretId, event.ClientRequestToken, { ...intent, sentHash: undefined, sentAt: undefined, misconfiguredReported: true } as Record<string, unknown>);
      }
      throw new RotationStepError(`The provider rejected the client credentials (${answer.error}); fix the master secret ${settings.masterSecretArn}.`, {
        retryAfterMs: settings.misconfiguredRetryMs,
      });
    }
    throw new RotationStepError(`The provider answered ${answer.error}; retrying.`, { retryAfterMs: answer.retryAfterMs });
  }

  async function testSecret(context: RotatorContext<Config>): Promise<void> {
    const { event, secrets, config } = context;
    const pending = await readInstallation(secrets, event.SecretId, { versionId: event.ClientRequestToken });
    if (!pending) throw new RotationStepError('testSecret: the pending version has no value.');
    const checkpoint = (await secrets.readCheckpoint(event.SecretId, event.ClientRequestToken)) as OAuthCheckpoint | undefined;
    const names = checkpoint?.chain !== undefined ? [checkpoint.chain] : [...pending.chains.keys()];
    const settings = settingsFor(config);
    for (const name of names) {
      const chain = pending.chains.get(name);
      if (!chain || isChainDead(chain)) continue;
      let answer;
      try {
        answer = await settings.provider.check(chain, { signal: context.signal, now: secrets.now() });
      } catch (error) {
        throw new RotationStepError(`testSecret could not check the ${name} token: ${error instanceof Error ? error.message : 'unknown error'}`);
      }
      if (answer.kind !== 'ok') {
        const error = answer.kind === 'refused' ? answer.error : 'unexpected answer';
        throw new RotationStepError(`testSecret: the new ${name} token was refused (${error}).`, { retryAfterMs: answer.kind === 'refused' ? answer.retryAfterMs : undefined });
      }
    }
  }

  async function finishSecret(context: RotatorContext<Config>): Promise<void> {
    const { event, secrets, config } = context;
    const settings = settingsFor(config);
    const previous = await readInstallation(secrets, event.SecretId, { stage: 'AWSCURRENT' });
    await finishByMakingCurrent(context);
    const installed = await readInstallation(secrets, event.SecretId, { versionId: event.ClientRequestToken });
    if (!installed) return;
    const nowMs = secrets.now();
    const schedule = expiryScheduleOf(installed, settings.refreshFraction, Math.floor(nowMs / 1000));
    // Never sooner than a second from now: a provider granting near-expired tokens must not spin the scheduler.
    await secrets.setExpirySchedule(event.SecretId, {
      dueAt: schedule.dueAt === undefined ? undefined : Math.max(Math.round(schedule.dueAt * 1000), nowMs + 1000),
      attention: schedule.attention,
    });
    const newlyDead = [...installed.chains].filter(([name, chain]) => {
      const before = previous?.chains.get(name);
      return isChainDead(chain) && (!before || !isChainDead(before));
    });
    if (newlyDead.length === 0) return;
    const checkpoint = ((await secrets.readCheckpoint(event.SecretId, event.ClientRequestToken)) as OAuthCheckpoint | undefined) ?? {};
    if (checkpoint.deathReported) return;
    for (const [name, chain] of newlyDead) {
      await secrets.reportEvent(event.SecretId, {
        kind: 'reauthorization-required',
        message: `The ${name} chain can no longer be refreshed (${chain.status_reason ?? 'refused'}); install the app again.`,
        versionId: event.ClientRequestToken,
      });
    }
    await secrets.writeCheckpoint(event.SecretId, event.ClientRequestToken, { ...checkpoint, deathReported: true } as Record<string, unknown>);
  }

  return {
    kind,
    parseConfig: (raw) => schema.parse(raw ?? {}),
    createSecret,
    // The provider already holds the new tokens: there is nothing to set.
    async setSecret() {},
    testSecret,
    finishSecret,
  };
}

export const slackRotator = createOAuthRotator('slack', slackRotatorConfig);
export const oauth2Rotator = createOAuthRotator('oauth2', oauth2RotatorConfig);
