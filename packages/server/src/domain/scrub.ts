/**
 * Failure reasons are stored, logged and streamed, so they are scrubbed first: known
 * secrets (the rotation's own credentials) are replaced, and so is anything that looks
 * like a credential — long token-like runs, Slack-style tokens, `key=value` pairs whose
 * key names a secret. Reasons are also cut to a readable length.
 */
// The value runs to the next space, quote or `&`: a password may hold `,;}` itself.
const credentialAssignment = /\b(password|passwd|pwd|secret|token|key|credential|authorization)(["']?\s*[:=]\s*["']?)([^\s"'&]+)/gi;
// user:password@ inside a URI (postgresql://app:PW@db); greedy, since a password may hold '@'.
const uriPassword = /([a-z][a-z0-9+.-]*:\/\/[^:/\s@]+:)(\S+)@/gi;
const tokenLike = /\b(?:xox[a-z]-[A-Za-z0-9-]+|[A-Za-z0-9+/_-]{32,}={0,2})/g;
const maxLength = 500;

export function scrubSecretMaterial(text: string, knownSecrets: readonly string[] = []): string {
  let scrubbed = text;
  for (const secret of knownSecrets) {
    if (secret.length >= 4) scrubbed = scrubbed.split(secret).join('[REDACTED]');
  }
  scrubbed = scrubbed.replace(uriPassword, (_match, prefix: string) => `${prefix}[REDACTED]@`);
  scrubbed = scrubbed.replace(credentialAssignment, (_match, name: string, separator: string) => `${name}${separator}[REDACTED]`);
  scrubbed = scrubbed.replace(tokenLike, '[REDACTED]');
  return scrubbed.length > maxLength ? `${scrubbed.slice(0, maxLength)}…` : scrubbed;
}
