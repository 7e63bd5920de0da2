import { randomInt as cryptoRandomInt } from 'node:crypto';
import { AppError, validationError } from './errors.js';

/**
 * GetRandomPassword (reference §6). Field names follow the wire request in camelCase;
 * `undefined` means "not sent" and takes the AWS default.
 */
export interface PasswordOptions {
  /** @default 32 (1–4096) */
  passwordLength?: number | undefined;
  /** @default '' (at most 4096 characters) */
  excludeCharacters?: string | undefined;
  excludeNumbers?: boolean | undefined;
  excludePunctuation?: boolean | undefined;
  excludeUppercase?: boolean | undefined;
  excludeLowercase?: boolean | undefined;
  /** @default false */
  includeSpace?: boolean | undefined;
  /** @default true */
  requireEachIncludedType?: boolean | undefined;
}

export const passwordLengthLimits = { min: 1, max: 4096, default: 32 } as const;
export const maxExcludeCharactersLength = 4096;

const lowercase = 'abcdefghijklmnopqrstuvwxyz';
const uppercase = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const digits = '0123456789';
/** Exactly Python's `string.punctuation`: the 32 printable ASCII symbols. */
export const punctuation = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

export const PasswordMessages = {
  tooShort: 'Password length is too short based on the required types.',
  allExcluded: 'All characters have been excluded from selection.',
} as const;

/**
 * Draws a password. `randomInt(max)` must return a uniform integer in [0, max); the default,
 * `crypto.randomInt`, rejects out-of-range draws instead of taking a modulo, so every
 * character of the pool is equally likely.
 *
 * Like AWS, the password first gets one character of each required class, is filled up from
 * the whole pool, and is then Fisher–Yates shuffled with the same random source, so the
 * required characters land at random positions.
 *
 * Which classes are required: the non-space classes that are not switched off **and** still
 * have characters after `excludeCharacters`. A class emptied by `excludeCharacters` is dropped
 * from the requirement rather than rejected. That is what reference §6 states; the message
 * "All characters of the desired type have been excluded" comes only from a third-party
 * CloudFormation measurement (lower confidence), so Rotor does not raise it. A space is never
 * required, even with `includeSpace`.
 */
export function generateRandomPassword(
  options: PasswordOptions,
  randomInt: (max: number) => number = cryptoRandomInt,
): string {
  const length = options.passwordLength ?? passwordLengthLimits.default;
  const excluded = options.excludeCharacters ?? '';
  assertValidOptions(length, excluded);

  const keep = (chars: string): string[] => [...chars].filter((c) => !excluded.includes(c));
  const classes: string[][] = [];
  if (!options.excludeLowercase) classes.push(keep(lowercase));
  if (!options.excludeUppercase) classes.push(keep(uppercase));
  if (!options.excludeNumbers) classes.push(keep(digits));
  if (!options.excludePunctuation) classes.push(keep(punctuation));

  const pool = classes.flat();
  if (options.includeSpace && !excluded.includes(' ')) pool.push(' ');
  if (pool.length === 0) throw new AppError('INVALID_PARAMETER', PasswordMessages.allExcluded);

  const required = (options.requireEachIncludedType ?? true) ? classes.filter((chars) => chars.length > 0) : [];
  if (length < required.length) throw new AppError('INVALID_PARAMETER', PasswordMessages.tooShort);

  const pick = (chars: readonly string[]): string => chars[randomInt(chars.length)]!;
  const password = required.map(pick);
  while (password.length < length) password.push(pick(pool));

  for (let i = password.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [password[i], password[j]] = [password[j]!, password[i]!];
  }
  return password.join('');
}

/** Model constraints, checked together like AWS's request validation ("2 validation errors detected: …"). */
function assertValidOptions(length: number, excluded: string): void {
  if (!Number.isSafeInteger(length)) {
    throw new AppError('INVALID_PARAMETER', `PasswordLength must be a whole number, got ${length}.`);
  }
  const problems: string[] = [];
  if (length < passwordLengthLimits.min) {
    problems.push(
      `Value '${length}' at 'passwordLength' failed to satisfy constraint: Member must have value greater than or equal to ${passwordLengthLimits.min}`,
    );
  } else if (length > passwordLengthLimits.max) {
    problems.push(
      `Value '${length}' at 'passwordLength' failed to satisfy constraint: Member must have value less than or equal to ${passwordLengthLimits.max}`,
    );
  }
  if (excluded.length > maxExcludeCharactersLength) {
    problems.push(
      `Value '${excluded}' at 'excludeCharacters' failed to satisfy constraint: Member must have length less than or equal to ${maxExcludeCharactersLength}`,
    );
  }
  if (problems.length > 0) {
    throw validationError(problems);
  }
}
