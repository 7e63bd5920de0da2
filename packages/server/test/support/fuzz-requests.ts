/**
 * Deterministic generator of random and malformed requests for the AWS JSON edge. Every
 * choice comes from one seeded PRNG, so a failing run is replayed from its seed.
 */

/** mulberry32: small, fast, good enough to drive a fuzzer. */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  hex(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += '0123456789abcdef'[this.int(16)];
    return out;
  }

  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }

  text(length: number, alphabet: string): string {
    const chars = [...alphabet];
    let out = '';
    for (let i = 0; i < length; i++) out += chars[this.int(chars.length)];
    return out;
  }
}

export const operations = [
  'CreateSecret',
  'GetSecretValue',
  'BatchGetSecretValue',
  'DescribeSecret',
  'PutSecretValue',
  'UpdateSecret',
  'UpdateSecretVersionStage',
  'ListSecrets',
  'ListSecretVersionIds',
  'DeleteSecret',
  'RestoreSecret',
  'TagResource',
  'UntagResource',
  'GetRandomPassword',
  'PutResourcePolicy',
  'GetResourcePolicy',
  'DeleteResourcePolicy',
  'ValidateResourcePolicy',
  'RotateSecret',
  'CancelRotateSecret',
] as const;
export type Operation = (typeof operations)[number];

type FieldKind =
  | 'secretId'
  | 'name'
  | 'token'
  | 'versionId'
  | 'stage'
  | 'stages'
  | 'secretString'
  | 'secretBinary'
  | 'text'
  | 'bool'
  | 'maxResults'
  | 'int'
  | 'tags'
  | 'tagKeys'
  | 'filters'
  | 'secretIdList'
  | 'nextToken'
  | 'sortOrder'
  | 'sortBy'
  | 'policy'
  | 'regions'
  | 'lambdaArn'
  | 'rotationRules';

/** Field name → kind, and whether the shape requires it. */
const fieldsOf: Record<Operation, Record<string, [FieldKind, boolean]>> = {
  CreateSecret: {
    Name: ['name', true],
    ClientRequestToken: ['token', false],
    Description: ['text', false],
    KmsKeyId: ['text', false],
    SecretBinary: ['secretBinary', false],
    SecretString: ['secretString', false],
    Tags: ['tags', false],
    AddReplicaRegions: ['regions', false],
    ForceOverwriteReplicaSecret: ['bool', false],
    Type: ['text', false],
  },
  GetSecretValue: { SecretId: ['secretId', true], VersionId: ['versionId', false], VersionStage: ['stage', false] },
  BatchGetSecretValue: {
    SecretIdList: ['secretIdList', false],
    Filters: ['filters', false],
    MaxResults: ['maxResults', false],
    NextToken: ['nextToken', false],
  },
  DescribeSecret: { SecretId: ['secretId', true] },
  PutSecretValue: {
    SecretId: ['secretId', true],
    ClientRequestToken: ['token', true],
    SecretBinary: ['secretBinary', false],
    SecretString: ['secretString', false],
    VersionStages: ['stages', false],
    RotationToken: ['token', false],
  },
  UpdateSecret: {
    SecretId: ['secretId', true],
    ClientRequestToken: ['token', false],
    Description: ['text', false],
    KmsKeyId: ['text', false],
    SecretBinary: ['secretBinary', false],
    SecretString: ['secretString', false],
    Type: ['text', false],
  },
  UpdateSecretVersionStage: {
    SecretId: ['secretId', true],
    VersionStage: ['stage', true],
    RemoveFromVersionId: ['versionId', false],
    MoveToVersionId: ['versionId', false],
  },
  ListSecrets: {
    IncludePlannedDeletion: ['bool', false],
    MaxResults: ['maxResults', false],
    NextToken: ['nextToken', false],
    Filters: ['filters', false],
    SortOrder: ['sortOrder', false],
    SortBy: ['sortBy', false],
  },
  ListSecretVersionIds: {
    SecretId: ['secretId', true],
    MaxResults: ['maxResults', false],
    NextToken: ['nextToken', false],
    IncludeDeprecated: ['bool', false],
  },
  DeleteSecret: { SecretId: ['secretId', true], RecoveryWindowInDays: ['int', false], ForceDeleteWithoutRecovery: ['bool', false] },
  RestoreSecret: { SecretId: ['secretId', true] },
  TagResource: { SecretId: ['secretId', true], Tags: ['tags', true] },
  UntagResource: { SecretId: ['secretId', true], TagKeys: ['tagKeys', true] },
  GetRandomPassword: {
    PasswordLength: ['int', false],
    ExcludeCharacters: ['text', false],
    ExcludeNumbers: ['bool', false],
    ExcludePunctuation: ['bool', false],
    ExcludeUppercase: ['bool', false],
    ExcludeLowercase: ['bool', false],
    IncludeSpace: ['bool', false],
    RequireEachIncludedType: ['bool', false],
  },
  PutResourcePolicy: { SecretId: ['secretId', true], ResourcePolicy: ['policy', true], BlockPublicPolicy: ['bool', false] },
  GetResourcePolicy: { SecretId: ['secretId', true] },
  DeleteResourcePolicy: { SecretId: ['secretId', true] },
  ValidateResourcePolicy: { SecretId: ['secretId', false], ResourcePolicy: ['policy', true] },
  RotateSecret: {
    SecretId: ['secretId', true],
    ClientRequestToken: ['token', false],
    RotationLambdaARN: ['lambdaArn', false],
    RotationRules: ['rotationRules', false],
    RotateImmediately: ['bool', false],
  },
  CancelRotateSecret: { SecretId: ['secretId', true] },
};

const unicodeAlphabet = 'aZ09 -_/+=.@!ü中文🔑\u0000\u0007\u200b\u202e\ufeff"\\\n\t\u00ff';
const nameAlphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-/_+=.@!';

export interface FuzzPool {
  /** Names and ARNs of secrets that exist when the run starts. */
  readonly secretIds: readonly string[];
}

/** Any JSON value, biased toward the ones that break parsers and validators. */
export function wildValue(rng: Rng, depth = 0): unknown {
  switch (rng.int(depth > 3 ? 14 : 18)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, -0, -1, 1.5, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), 1e308, -1e308, Number.MIN_VALUE, 4096, 65536]);
    case 3:
      return '';
    case 4:
      return rng.text(rng.range(1, 40), unicodeAlphabet);
    case 5:
      return 'x'.repeat(rng.pick([256, 2049, 4097, 65537, 70_000]));
    case 6:
      return rng.hex(rng.range(1, 80));
    case 7:
      return rng.pick(['AWSCURRENT', 'AWSPREVIOUS', 'AWSPENDING', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x-AbCdEf', '*', '%s%n', '../../etc/passwd']);
    case 8:
      return rng.pick(['true', 'null', '0', '1e400', '[]', '{}', 'undefined', 'NaN']);
    case 9:
      return { toString: rng.pick([1, 'x', null, {}]), valueOf: rng.pick([1, null, []]) };
    case 10:
      return [{ toString: 1 }, { valueOf: null }];
    case 11:
      return { constructor: { prototype: { polluted: true } }, hasOwnProperty: 1 };
    case 12:
      return rng.bytes(rng.range(1, 30)).toString('latin1');
    case 13:
      return String.fromCharCode(0xd800 + rng.int(0x800));
    case 14:
      return Array.from({ length: rng.range(0, 5) }, () => wildValue(rng, depth + 1));
    case 15:
      return Array.from({ length: rng.pick([21, 51, 101, 1000]) }, () => rng.pick(['a', 1, null]));
    case 16: {
      const object: Record<string, unknown> = {};
      for (let i = rng.range(0, 4); i > 0; i--) object[rng.pick(['Key', 'Values', 'Value', 'SecretId', 'a', ''])] = wildValue(rng, depth + 1);
      return object;
    }
    default: {
      let nested: unknown = rng.pick(['leaf', 1, null]);
      for (let i = rng.range(10, 200); i > 0; i--) nested = rng.chance(0.5) ? [nested] : { a: nested };
      return nested;
    }
  }
}

function validValue(rng: Rng, kind: FieldKind, pool: FuzzPool): unknown {
  switch (kind) {
    case 'secretId':
      return rng.chance(0.7) ? rng.pick(pool.secretIds) : rng.chance(0.5) ? `fuzz/new-${rng.int(40)}` : rng.text(rng.range(1, 30), nameAlphabet);
    case 'name':
      return rng.chance(0.8) ? `fuzz/new-${rng.int(40)}` : rng.text(rng.range(1, 30), rng.chance(0.5) ? nameAlphabet : unicodeAlphabet);
    case 'token':
    case 'versionId':
      return rng.chance(0.8) ? `${rng.hex(8)}-${rng.hex(4)}-4${rng.hex(3)}-a${rng.hex(3)}-${rng.hex(12)}` : rng.hex(rng.range(1, 70));
    case 'stage':
      return rng.pick(['AWSCURRENT', 'AWSPREVIOUS', 'AWSPENDING', `custom-${rng.int(5)}`]);
    case 'stages':
      return Array.from({ length: rng.range(1, 3) }, () => validValue(rng, 'stage', pool));
    case 'secretString':
      return rng.chance(0.9) ? rng.text(rng.range(1, 200), unicodeAlphabet) : 's'.repeat(rng.pick([65536, 65537]));
    case 'secretBinary':
      return rng.chance(0.85) ? rng.bytes(rng.range(1, 300)).toString('base64') : rng.pick(['not base64!', 'QQ', 'QQ==QQ==', 'A'.repeat(87_388)]);
    case 'text':
      return rng.text(rng.range(0, 60), unicodeAlphabet);
    case 'bool':
      return rng.chance(0.5);
    case 'maxResults':
      return rng.range(-2, 120);
    case 'int':
      return rng.pick([-1, 0, 1, 6, 7, 30, 31, 32, 4096, 4097, 1_000_000_000, rng.range(0, 100)]);
    case 'tags':
      return Array.from({ length: rng.pick([0, 1, 2, 3, 51]) }, () => ({
        Key: rng.text(rng.range(0, 20), rng.chance(0.8) ? nameAlphabet : unicodeAlphabet),
        Value: rng.text(rng.range(0, 20), unicodeAlphabet),
      }));
    case 'tagKeys':
      return Array.from({ length: rng.range(0, 4) }, () => rng.text(rng.range(0, 10), nameAlphabet));
    case 'filters':
      return Array.from({ length: rng.pick([0, 1, 2, 11]) }, () => ({
        Key: rng.pick(['name', 'description', 'tag-key', 'tag-value', 'all', 'primary-region', 'owning-service', 'bogus', '']),
        Values: Array.from({ length: rng.pick([0, 1, 2, 11]) }, () => (rng.chance(0.2) ? '!' : '') + rng.text(rng.range(0, 12), rng.chance(0.8) ? nameAlphabet : unicodeAlphabet)),
      }));
    case 'secretIdList':
      return Array.from({ length: rng.pick([0, 1, 3, 20, 21]) }, () => validValue(rng, 'secretId', pool));
    case 'nextToken':
      return rng.chance(0.5) ? Buffer.from(rng.text(rng.range(1, 40), unicodeAlphabet)).toString('base64') : rng.text(rng.range(1, 40), unicodeAlphabet);
    case 'sortOrder':
      return rng.pick(['asc', 'desc', 'ASC', '']);
    case 'sortBy':
      return rng.pick(['created-date', 'last-accessed-date', 'last-changed-date', 'name', 'size']);
    case 'policy':
      return rng.pick([
        JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:root' }, Action: 'secretsmanager:GetSecretValue', Resource: '*' }] }),
        JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }] }),
        JSON.stringify({ Statement: rng.pick([null, 1, 'x', [], {}]) }),
        '{"Version":',
        rng.text(rng.range(1, 50), unicodeAlphabet),
        JSON.stringify(wildValue(rng)),
      ]);
    case 'regions':
      return Array.from({ length: rng.range(0, 2) }, () => ({ Region: rng.pick(['us-west-2', 'eu-west-1', '']) }));
    case 'lambdaArn':
      return rng.pick(['arn:aws:lambda:us-east-1:123456789012:function:rotate', 'rotor:unknown', '', rng.text(rng.range(1, 40), unicodeAlphabet)]);
    case 'rotationRules': {
      const rules: Record<string, unknown> = {};
      if (rng.chance(0.5)) rules.AutomaticallyAfterDays = rng.pick([-1, 0, 1, 30, 1000, 1001]);
      if (rng.chance(0.4)) rules.Duration = rng.pick(['1h', '2h', '24h', '25h', '0h', 'x']);
      if (rng.chance(0.4)) rules.ScheduleExpression = rng.pick(['rate(10 days)', 'rate(4 hours)', 'cron(0 16 1,15 * ? *)', 'cron(', 'rate(0 days)', 'at(2030-01-01T00:00:00)']);
      return rules;
    }
  }
}

/** A request body for the operation: mostly the right shape, with wrong members mixed in. */
export function shapedBody(rng: Rng, operation: Operation, pool: FuzzPool): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const mutation = rng.pick([0, 0.05, 0.15, 0.4]);
  for (const [field, [kind, required]] of Object.entries(fieldsOf[operation])) {
    if (!rng.chance(required ? 0.95 : 0.4)) continue;
    body[field] = rng.chance(mutation) ? wildValue(rng) : validValue(rng, kind, pool);
  }
  if (rng.chance(0.1)) body[rng.pick(['Extra', 'secretId', 'SECRETID', '', '__proto__x'])] = wildValue(rng);
  return body;
}

/** Bytes that are not a well-formed JSON object, or are, but in ways few clients write. */
export function garbageBody(rng: Rng, operation: Operation, pool: FuzzPool): Buffer {
  const json = JSON.stringify(shapedBody(rng, operation, pool));
  switch (rng.int(16)) {
    case 0:
      return Buffer.from(json.slice(0, rng.int(json.length)));
    case 1: {
      // Duplicate keys: JSON.parse keeps the last, a strict parser would refuse.
      const [key] = Object.keys(fieldsOf[operation]);
      return Buffer.from(`{"${key ?? 'SecretId'}":"first","${key ?? 'SecretId'}":${JSON.stringify(wildValue(rng))}}`);
    }
    case 2: {
      const bytes = Buffer.from(json);
      const at = rng.int(bytes.length + 1);
      return Buffer.concat([bytes.subarray(0, at), Buffer.from(rng.pick([[0xff], [0xfe, 0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0x00]])), bytes.subarray(at)]);
    }
    case 3:
      return Buffer.from(rng.pick(['[]', '"str"', '123', 'null', 'true', '[{}]', '{}', '""', '-0', '1e400']));
    case 4: {
      const depth = rng.pick([1_000, 10_000, 100_000]);
      return Buffer.from(`{"SecretId":${'['.repeat(depth)}${']'.repeat(depth)}}`);
    }
    case 5: {
      const depth = rng.pick([1_000, 10_000, 50_000]);
      return Buffer.from(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);
    }
    case 6:
      return rng.bytes(rng.range(1, 2_000));
    case 7:
      return Buffer.alloc(0);
    case 8:
      return Buffer.from(rng.pick([' ', '\n\n', '\t{}\r\n', `\ufeff${json}`, `${json}garbage`, `${json}${json}`, `/*c*/${json}`]));
    case 9:
      return Buffer.from(json.replace(/:(\s*)("[^"]*"|\d+|true|false|null)/, ':$1' + rng.pick(['1e400', '-0', '0x10', 'NaN', 'Infinity', '01', '.5', "'single'", 'undefined'])));
    case 10:
      return Buffer.from(`{"__proto__":{"SecretId":"polluted","isAdmin":true},"constructor":{"prototype":{"x":1}},${json.slice(1)}`);
    case 11:
      return Buffer.from(JSON.stringify({ ...JSON.parse(json), [rng.pick(['SecretString', 'SecretId', 'Name', 'Description'])]: 'y'.repeat(rng.range(100_000, 900_000)) }));
    case 12: {
      const object: Record<string, number> = {};
      for (let i = rng.pick([1_000, 20_000]); i > 0; i--) object[`k${i}`] = i;
      return Buffer.from(JSON.stringify(object));
    }
    case 13:
      return Buffer.from(`{"SecretId":"${'\\u'.repeat(rng.range(1, 3))}zz${rng.pick(['', '\\', '\\ud800', '\\x41'])}"}`);
    case 14:
      return Buffer.from(json, rng.pick(['utf16le', 'latin1', 'base64'] as const));
    default:
      return Buffer.from(JSON.stringify([JSON.parse(json)]));
  }
}
