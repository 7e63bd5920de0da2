import { z } from 'zod';
import type { Rotator } from '../../../ports/rotator.js';
import { databaseRotatorFields } from '../database/config.js';
import { createDatabaseUserRotator } from '../database/user-rotator.js';
import { redisDriver } from './redis-driver.js';

/**
 * `redis`: rotates the password of a Redis ACL user (Redis 6+, Valkey; docs/rotators/redis.md).
 * Passwords are set as `#<sha256>` rules, so the plaintext travels only in AUTH. The
 * clone of `alternating-users` gets the original's rules (`ACL LIST`) at every rotation
 * that changes it.
 */
export const redisRotatorConfig = z
  .object({
    ...databaseRotatorFields,
    /**
     * What makes an ACL change survive a Redis restart: `none` (users come from
     * elsewhere, e.g. a managed service, or are re-created at start), `acl-save` (users are
     * kept in an `aclfile`: ACL SAVE after each change) or `config-rewrite` (users are in
     * redis.conf: CONFIG REWRITE).
     * @default 'none'
     */
    persist: z.enum(['none', 'acl-save', 'config-rewrite']).default('none'),
  })
  .strict();

export type RedisRotatorConfig = z.infer<typeof redisRotatorConfig>;

export const redisRotator: Rotator<RedisRotatorConfig> = createDatabaseUserRotator({
  kind: 'redis',
  schema: redisRotatorConfig,
  driver: redisDriver,
});
