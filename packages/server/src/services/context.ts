import type { Clock } from '../ports/clock.js';
import type { SecretStore } from '../ports/secret-store.js';
import type { ValueCipher } from '../ports/value-cipher.js';

/** Who is asking: the access key id that signed the request (the audit actor). */
export interface RequestContext {
  readonly actor: string;
}

/** Where this Rotor installation lives; every ARN carries these. */
export interface Installation {
  readonly region: string;
  readonly accountId: string;
}

/** The ports most secret use cases need; each factory takes only what it uses. */
export interface SecretServiceDeps {
  readonly store: SecretStore;
  readonly cipher: ValueCipher;
  readonly clock: Clock;
  readonly installation: Installation;
}

/** AWS reports dates at day resolution for access times (reference §1). */
export function startOfUtcDay(ms: number): number {
  return ms - (ms % 86_400_000);
}
