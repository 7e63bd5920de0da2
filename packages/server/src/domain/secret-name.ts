import { AppError, Messages } from './errors.js';

const namePattern = /^[A-Za-z0-9/_+=.@-]+$/;

/** Request names are 1–512 characters of letters, digits and `/_+=.@-` (reference §2). */
export function assertValidSecretName(name: string): void {
  if (name.length < 1 || name.length > 512 || !namePattern.test(name)) {
    throw new AppError('VALIDATION', Messages.invalidName);
  }
}

/** A SecretId is a name, a full ARN or a partial ARN (an ARN without its 6-character suffix). */
export function isArn(secretId: string): boolean {
  return secretId.startsWith('arn:');
}

const arnPattern = /^arn:([^:]+):secretsmanager:([^:]+):(\d{12}):secret:(.+)$/;

export interface ParsedSecretArn {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  /** Everything after `secret:`: the name plus, for a full ARN, `-` and 6 characters. */
  readonly resource: string;
}

export function parseSecretArn(arn: string): ParsedSecretArn | undefined {
  const match = arnPattern.exec(arn);
  if (!match) return undefined;
  const [, partition, region, account, resource] = match;
  return { partition: partition!, region: region!, account: account!, resource: resource! };
}

export function secretArn(region: string, account: string, name: string, suffix: string): string {
  return `arn:aws:secretsmanager:${region}:${account}:secret:${name}-${suffix}`;
}
