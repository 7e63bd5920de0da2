import { afterAll } from 'vitest';
import { dropTestDatabases } from './rotor-server.js';

/**
 * Setup file of the PostgreSQL pass (vitest.config.ts): after each test file, drops the
 * databases its servers used. `startTestRotor()` drops its own on close; servers spawned on
 * a data directory (restarted, SIGKILLed) leave theirs to this hook, which runs after the
 * file's own afterAll hooks have stopped them (after-hooks run in reverse order).
 */
afterAll(dropTestDatabases);
