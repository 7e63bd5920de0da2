import type { OAuthInstallation } from '../domain/oauth-installation.js';

/**
 * An OAuth app as the install flow and imports see it: a registered `slack` or `oauth2`
 * function, with the provider calls an installation needs. The rotation steps themselves
 * go through the Rotator port like every built-in.
 */
export interface OAuthApp {
  readonly functionName: string;
  readonly functionArn: string;
  readonly kind: 'slack' | 'oauth2';
  /** Secret name of a new installation, e.g. `slack/{team_id}`. */
  readonly secretNamePattern: string;
  /** Refresh once this fraction of a token's lifetime has passed. */
  readonly refreshFraction: number;
  /** The master secret with the app's client id and secret. */
  readonly masterSecretArn: string;
  readonly redirectUri: string | undefined;
  authorizeUrl(clientId: string, state: string, redirectUri: string | undefined): string;
  /** The authorization-code grant of an install redirect. */
  exchangeCode(
    client: { readonly clientId: string; readonly clientSecret: string },
    code: string,
    redirectUri: string | undefined,
    options: { readonly signal: AbortSignal; readonly now: number },
  ): Promise<{ readonly kind: 'installed'; readonly installation: OAuthInstallation } | { readonly kind: 'refused'; readonly error: string }>;
}

/** The OAuth app behind a function name, or undefined when it is not a `slack`/`oauth2` function. */
export type OAuthAppResolver = (functionName: string) => Promise<OAuthApp | undefined>;
