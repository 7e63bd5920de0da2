/**
 * Certificate and TLS set-up failures: a configuration error (wrong `tls.ca`, a name the
 * certificate does not carry, a server without TLS), never cured by retrying.
 */
const certificateCodes = new Set([
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'HOSTNAME_MISMATCH',
  'HANDSHAKE_NO_SSL_SUPPORT',
]);

export function isTlsSetupFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && certificateCodes.has(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return /does not support SSL|server does not allow insecure connections|SSL connection is required|self[- ]signed certificate|certificate/i.test(message);
}
