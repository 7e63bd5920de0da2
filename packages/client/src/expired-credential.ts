import { isRotorError } from './errors.js';

/**
 * Whether an error (or a returned response) means "the access token was rejected", the
 * signal for `callWithRefresh` to refresh once and retry:
 *
 * - a `@slack/web-api` platform error (`code: 'slack_webapi_platform_error'`) whose
 *   `data.error` is `token_expired`, `invalid_auth` or `token_revoked` — Slack answers
 *   HTTP 200 with `ok: false`, so the status never says it;
 * - an HTTP 401, as a fetch `Response`, or as an error carrying `status`, `statusCode`
 *   or `response.status` (axios, got, ky, octokit and most SDKs).
 */

/** The Slack Web API error codes that mean the token itself was refused. */
export const slackExpiredTokenErrors: ReadonlySet<string> = new Set(['token_expired', 'invalid_auth', 'token_revoked']);

export function isExpiredCredentialError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  // Rotor refusing the client's own credentials is not the provider refusing a token.
  if (isRotorError(error)) return false;
  const record = error as Record<string, unknown>;
  const data = record.data;
  if (typeof data === 'object' && data !== null) {
    const slackError = (data as Record<string, unknown>).error;
    const platform = record.code === 'slack_webapi_platform_error' || (data as Record<string, unknown>).ok === false;
    if (platform && typeof slackError === 'string' && slackExpiredTokenErrors.has(slackError)) return true;
  }
  return httpStatusOf(error) === 401;
}

/** The HTTP status an error or response carries, if any. */
export function httpStatusOf(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (typeof record.status === 'number') return record.status;
  if (typeof record.statusCode === 'number') return record.statusCode;
  const response = record.response;
  if (typeof response === 'object' && response !== null) {
    const nested = response as Record<string, unknown>;
    if (typeof nested.status === 'number') return nested.status;
    if (typeof nested.statusCode === 'number') return nested.statusCode;
  }
  return undefined;
}

/** A fetch `Response` (or one shaped like it) with status 401, returned rather than thrown. */
export function isUnauthorizedResponse(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return record.status === 401 && record.ok === false && typeof record.headers === 'object' && record.headers !== null;
}
