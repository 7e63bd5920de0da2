import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { rootKeyLength } from './envelope-cipher.js';

/**
 * Where the root key comes from: `ROTOR_ROOT_KEY` (base64) when set, otherwise the file
 * `<data-dir>/root.key`, created with mode 0600 on first start. The key is never logged.
 */
export interface RootKeySource {
  readonly key: Buffer;
  readonly origin: 'environment' | 'file' | 'created';
  readonly path?: string;
}

function decode(text: string, where: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== rootKeyLength) {
    throw new Error(`${where} must hold a base64-encoded ${rootKeyLength}-byte key (found ${key.length} bytes).`);
  }
  return key;
}

export function loadRootKey(path: string, fromEnvironment: string | undefined): RootKeySource {
  if (fromEnvironment !== undefined && fromEnvironment !== '') {
    return { key: decode(fromEnvironment, 'ROTOR_ROOT_KEY'), origin: 'environment' };
  }
  if (existsSync(path)) {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) chmodSync(path, 0o600);
    return { key: decode(readFileSync(path, 'utf8'), path), origin: 'file', path };
  }
  const key = randomBytes(rootKeyLength);
  // 'wx' refuses to overwrite a key another process created meanwhile.
  writeFileSync(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return { key, origin: 'created', path };
}
