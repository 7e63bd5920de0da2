import type { OAuthInstallation, TokenChain } from '../../../domain/oauth-installation.js';

/**
 * What the OAuth rotators need from a provider, whatever its dialect (Slack's
 * `{ok:false,error}` over HTTP 200, or RFC 6749's status codes). Answers that may hide a
 * committed refresh (5xx, Slack's `internal_error`, a lost response) are thrown as
 * `ProviderAnswerLost`; unreachable providers as `ProviderUnreached` (provider-http.ts).
 */
export interface ClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface TokenGrant {
  readonly access_token: string;
  /** Absent when the provider keeps the old refresh token (Google) — the stored one stays. */
  readonly refresh_token?: string;
  readonly expires_in?: number;
  readonly scope?: string;
  readonly token_type: string;
  readonly bot_user_id?: string;
  readonly user_id?: string;
  /** Installation-level facts the answer carried (team, enterprise, app id). */
  readonly attributes: Readonly<Record<string, unknown>>;
}

export type ProviderAnswer =
  | { readonly kind: 'granted'; readonly grant: TokenGrant }
  /** The provider said no, with its error code; nothing was committed. */
  | { readonly kind: 'refused'; readonly error: string; readonly retryAfterMs?: number };

export interface CallOptions {
  readonly signal: AbortSignal;
  readonly now: number;
}

export interface TokenProvider {
  /** A refresh-token grant for one chain. */
  refresh(client: ClientCredentials, chainName: string, chain: TokenChain, options: CallOptions): Promise<ProviderAnswer>;
  /** Slack's `oauth.v2.exchange` of a long-lived token; providers without it refuse. */
  exchange(client: ClientCredentials, chainName: string, chain: TokenChain, options: CallOptions): Promise<ProviderAnswer>;
  /** Whether an access token works now (`auth.test`, or the configured check URL); `refused` names why not. */
  check(chain: TokenChain, options: CallOptions): Promise<{ readonly kind: 'ok' } | ProviderAnswer>;
  /** The authorization-code exchange of an install redirect, as an installation value (times in seconds). */
  install(client: ClientCredentials, code: string, redirectUri: string | undefined, options: CallOptions): Promise<{ readonly kind: 'installed'; readonly installation: OAuthInstallation } | ProviderAnswer>;
  /** Where the install flow sends a browser. */
  authorizeUrl(clientId: string, state: string, redirectUri: string | undefined): string;
}
