import { mysqlHarness } from './support/engines.js';
import { describeDatabaseRotation } from './support/engine-suite.js';

/** The mysql rotator against the real server on this machine (see support/engine-suite.ts for what is proved). */
describeDatabaseRotation('mysql', mysqlHarness);
