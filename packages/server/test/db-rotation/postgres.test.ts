import { postgresHarness } from './support/engines.js';
import { describeDatabaseRotation } from './support/engine-suite.js';

/**
 * The postgres rotator against a PostgreSQL cluster the test starts itself, with SCRAM on
 * every TCP login and TLS (see support/engine-suite.ts for what is proved).
 */
describeDatabaseRotation('postgres', postgresHarness, { tls: true });
