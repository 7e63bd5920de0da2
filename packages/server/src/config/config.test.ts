import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('configuration', () => {
  it('has defaults a first start can use', () => {
    const config = loadConfig({ env: {} });
    expect(config).toMatchObject({ host: '127.0.0.1', port: 7400, region: 'us-east-1', logLevel: 'info' });
    expect(config.dataDir.endsWith('.rotor')).toBe(true);
  });

  it('layers file, then environment, then flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rotor-config-'));
    const file = join(dir, 'rotor.json');
    writeFileSync(file, JSON.stringify({ port: 1111, region: 'eu-west-1', host: '0.0.0.0' }));
    const config = loadConfig({ configFile: file, env: { ROTOR_PORT: '2222', ROTOR_REGION: 'eu-central-1' }, flags: { port: '3333' } });
    expect(config).toMatchObject({ host: '0.0.0.0', region: 'eu-central-1', port: 3333 });
  });

  it('reads <data-dir>/rotor.json when no file is named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rotor-config-'));
    writeFileSync(join(dir, 'rotor.json'), JSON.stringify({ logLevel: 'debug' }));
    expect(loadConfig({ env: { ROTOR_DATA_DIR: dir } }).logLevel).toBe('debug');
  });

  it('refuses unknown keys in the file and bad values anywhere', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rotor-config-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ prot: 1 }));
    expect(() => loadConfig({ configFile: file, env: {} })).toThrow(/Invalid config file/);
    expect(() => loadConfig({ env: { ROTOR_PORT: 'http' } })).toThrow(/Invalid configuration/);
    expect(() => loadConfig({ env: { ROTOR_REGION: 'moon' } })).toThrow(/region/);
  });

  it('is frozen once parsed', () => {
    const config = loadConfig({ env: {} });
    expect(Object.isFrozen(config)).toBe(true);
  });
});
