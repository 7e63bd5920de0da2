import type { Rotator } from '../../ports/rotator.js';
import { oauth2Rotator, slackRotator } from './oauth/oauth-rotator.js';
import { mysqlRotator } from './mysql/mysql-rotator.js';
import { postgresRotator } from './postgres/postgres-rotator.js';
import { randomRotator } from './random/random-rotator.js';
import { redisRotator } from './redis/redis-rotator.js';

/**
 * The built-in rotators by kind: what `rotor functions create NAME --builtin KIND`
 * accepts. Each kind has its folder with its config schema and tests.
 */
export const builtinRotators: ReadonlyMap<string, Rotator<never>> = new Map<string, Rotator<never>>([
  [randomRotator.kind, randomRotator as Rotator<never>],
  [slackRotator.kind, slackRotator as Rotator<never>],
  [oauth2Rotator.kind, oauth2Rotator as Rotator<never>],
  [postgresRotator.kind, postgresRotator as Rotator<never>],
  [mysqlRotator.kind, mysqlRotator as Rotator<never>],
  [redisRotator.kind, redisRotator as Rotator<never>],
]);
