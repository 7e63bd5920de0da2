import { describe, expect, it } from 'vitest';
import { redisDriver, redisTls } from './redis-driver.js';

const reply = (message: string) => Object.assign(new Error(message), { name: 'ReplyError' });

describe('redis driver errors', () => {
  it('tells a refused password from an unreachable server, a missing permission and a bad command', () => {
    expect(redisDriver.classify(reply('WRONGPASS invalid username-password pair or user is disabled.'))).toBe('auth');
    expect(redisDriver.classify(reply('NOAUTH Authentication required.'))).toBe('auth');
    expect(redisDriver.classify(reply("NOPERM User app has no permissions to run the 'acl|setuser' command"))).toBe('denied');
    expect(redisDriver.classify(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }))).toBe('unreachable');
    expect(redisDriver.classify(new Error('Connection is closed.'))).toBe('unreachable');
    expect(redisDriver.classify(reply('LOADING Redis is loading the dataset in memory'))).toBe('unreachable');
    expect(redisDriver.classify(reply("ERR Error in ACL SETUSER modifier 'x': Syntax error"))).toBe('invalid');
  });

  it('maps TLS modes to ioredis options', () => {
    expect(redisTls({ mode: 'disable' })).toBeUndefined();
    expect(redisTls({ mode: 'require' })).toEqual({ rejectUnauthorized: false });
    expect(redisTls({ mode: 'verify-full', ca: 'PEM', servername: 'cache' })).toEqual({ rejectUnauthorized: true, ca: 'PEM', servername: 'cache' });
  });
});
