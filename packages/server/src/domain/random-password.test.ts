import { describe, expect, it } from 'vitest';
import { AppError } from './errors.js';
import { generateRandomPassword, PasswordMessages, punctuation, type PasswordOptions } from './random-password.js';

const lower = /[a-z]/;
const upper = /[A-Z]/;
const digit = /[0-9]/;
const isPunctuation = (c: string) => punctuation.includes(c);
const hasPunctuation = (s: string) => [...s].some(isPunctuation);

function errorOf(options: PasswordOptions): AppError {
  try {
    generateRandomPassword(options);
  } catch (thrown) {
    if (AppError.is(thrown)) return thrown;
    throw thrown;
  }
  throw new Error('expected generateRandomPassword to throw');
}

describe('generateRandomPassword', () => {
  it('defaults to 32 characters with lower, upper, digit and punctuation and no space', () => {
    for (let i = 0; i < 50; i++) {
      const password = generateRandomPassword({});
      expect(password).toHaveLength(32);
      expect(password).toMatch(lower);
      expect(password).toMatch(upper);
      expect(password).toMatch(digit);
      expect(hasPunctuation(password)).toBe(true);
      expect(password).not.toContain(' ');
    }
  });

  it('uses exactly the 32 characters of Python string.punctuation as punctuation', () => {
    expect(punctuation).toHaveLength(32);
    expect(new Set(punctuation).size).toBe(32);
    expect(punctuation).toBe('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');
  });

  it.each([1, 20, 50, 4096])('returns exactly %i characters', (length) => {
    expect(generateRandomPassword({ passwordLength: length, requireEachIncludedType: length >= 4 })).toHaveLength(
      length,
    );
  });

  it('returns a single character from any class at length 1 when types are not required', () => {
    const password = generateRandomPassword({ passwordLength: 1, requireEachIncludedType: false });
    expect(password).toHaveLength(1);
    expect(password).toMatch(/^[a-zA-Z0-9!-/:-@[-`{-~]$/);
  });

  it('leaves out lowercase letters with excludeLowercase', () => {
    const password = generateRandomPassword({ passwordLength: 300, excludeLowercase: true });
    expect(password).toHaveLength(300);
    expect(password).not.toMatch(lower);
    expect(password).toMatch(upper);
    expect(password).toMatch(digit);
    expect(hasPunctuation(password)).toBe(true);
  });

  it('leaves out uppercase letters with excludeUppercase', () => {
    const password = generateRandomPassword({ passwordLength: 300, excludeUppercase: true });
    expect(password).not.toMatch(upper);
    expect(password).toMatch(lower);
    expect(password).toMatch(digit);
    expect(hasPunctuation(password)).toBe(true);
  });

  it('leaves out digits with excludeNumbers', () => {
    const password = generateRandomPassword({ passwordLength: 300, excludeNumbers: true });
    expect(password).not.toMatch(digit);
    expect(password).toMatch(lower);
    expect(password).toMatch(upper);
    expect(hasPunctuation(password)).toBe(true);
  });

  it('leaves out punctuation with excludePunctuation', () => {
    const password = generateRandomPassword({ passwordLength: 300, excludePunctuation: true });
    expect(password).toMatch(/^[a-zA-Z0-9]{300}$/);
    expect(password).toMatch(lower);
    expect(password).toMatch(upper);
    expect(password).toMatch(digit);
  });

  it('has no whitespace by default at length 300', () => {
    expect(generateRandomPassword({ passwordLength: 300 })).not.toMatch(/\s/);
  });

  it('can contain spaces with includeSpace but never requires one', () => {
    const long = generateRandomPassword({ passwordLength: 4096, includeSpace: true });
    expect(long).toContain(' ');
    // Four characters, four required classes: no room for a space, and no error either.
    for (let i = 0; i < 50; i++) {
      const short = generateRandomPassword({ passwordLength: 4, includeSpace: true });
      expect(short).not.toContain(' ');
    }
  });

  it('draws only spaces when space is the only class left', () => {
    const password = generateRandomPassword({
      passwordLength: 5,
      includeSpace: true,
      excludeLowercase: true,
      excludeUppercase: true,
      excludeNumbers: true,
      excludePunctuation: true,
    });
    expect(password).toBe('     ');
  });

  it('honours excludeCharacters at length 120 (LocalStack, AWS-validated)', () => {
    for (let i = 0; i < 20; i++) {
      const password = generateRandomPassword({ passwordLength: 120, excludeCharacters: 'xyzDje@?!.' });
      expect(password).toHaveLength(120);
      for (const c of 'xyzDje@?!.') expect(password).not.toContain(c);
    }
  });

  it('has all four classes at length 4 when each type is required', () => {
    for (let i = 0; i < 200; i++) {
      const password = generateRandomPassword({ passwordLength: 4 });
      expect(password).toMatch(lower);
      expect(password).toMatch(upper);
      expect(password).toMatch(digit);
      expect(hasPunctuation(password)).toBe(true);
    }
  });

  it('drops a class emptied by excludeCharacters from the required types', () => {
    const password = generateRandomPassword({ passwordLength: 3, excludeCharacters: '0123456789' });
    expect(password).toHaveLength(3);
    expect(password).not.toMatch(digit);
    expect(password).toMatch(lower);
    expect(password).toMatch(upper);
    expect(hasPunctuation(password)).toBe(true);
  });

  it('places the required characters at random positions', () => {
    const classOf = (c: string) => (lower.test(c) ? 'lower' : upper.test(c) ? 'upper' : digit.test(c) ? 'digit' : 'punct');
    const seen = [new Set<string>(), new Set<string>(), new Set<string>(), new Set<string>()];
    for (let i = 0; i < 2000; i++) {
      [...generateRandomPassword({ passwordLength: 4 })].forEach((c, position) => seen[position]!.add(classOf(c)));
    }
    for (const classes of seen) expect(classes.size).toBe(4);
  });

  it('draws every allowed character over 20,000 draws', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5; i++) for (const c of generateRandomPassword({ passwordLength: 4000 })) seen.add(c);
    expect(seen.size).toBe(94);
  });

  it('takes all its randomness from the injected source', () => {
    const sequence = () => {
      let n = 0;
      return (max: number) => n++ % max;
    };
    const first = generateRandomPassword({ passwordLength: 64 }, sequence());
    const second = generateRandomPassword({ passwordLength: 64 }, sequence());
    expect(first).toBe(second);
    expect(first).toHaveLength(64);
  });

  it('rejects a length above 4096 with an AWS validation message', () => {
    const error = errorOf({ passwordLength: 5555 });
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toBe(
      "1 validation error detected: Value '5555' at 'passwordLength' failed to satisfy constraint: Member must have value less than or equal to 4096",
    );
  });

  it('rejects a length below 1 with an AWS validation message', () => {
    const error = errorOf({ passwordLength: 0 });
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toBe(
      "1 validation error detected: Value '0' at 'passwordLength' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
  });

  it('rejects excludeCharacters longer than 4096 characters', () => {
    const error = errorOf({ excludeCharacters: 'a'.repeat(4097) });
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toBe(
      `1 validation error detected: Value '${'a'.repeat(4097)}' at 'excludeCharacters' failed to satisfy constraint: Member must have length less than or equal to 4096`,
    );
  });

  it('accepts excludeCharacters of exactly 4096 characters', () => {
    const password = generateRandomPassword({ excludeCharacters: 'a'.repeat(4096) });
    expect(password).toHaveLength(32);
    expect(password).not.toContain('a');
  });

  it('reports both constraint violations at once', () => {
    const error = errorOf({ passwordLength: 0, excludeCharacters: 'b'.repeat(4097) });
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toMatch(/^2 validation errors detected: Value '0' at 'passwordLength' .*; Value 'b+' at 'excludeCharacters'/);
  });

  it('rejects a length shorter than the number of required types', () => {
    const error = errorOf({ passwordLength: 3 });
    expect(error.code).toBe('INVALID_PARAMETER');
    expect(error.message).toBe(PasswordMessages.tooShort);
    expect(error.message).toBe('Password length is too short based on the required types.');
  });

  it('allows a length equal to the number of required types once classes are switched off', () => {
    expect(generateRandomPassword({ passwordLength: 2, excludeNumbers: true, excludePunctuation: true })).toMatch(
      /^(?=.*[a-z])(?=.*[A-Z])[a-zA-Z]{2}$/,
    );
  });

  it('rejects options that leave no character to choose from', () => {
    const error = errorOf({
      excludeLowercase: true,
      excludeUppercase: true,
      excludeNumbers: true,
      excludePunctuation: true,
    });
    expect(error.code).toBe('INVALID_PARAMETER');
    expect(error.message).toBe('All characters have been excluded from selection.');
  });

  it('rejects excludeCharacters that remove every remaining character', () => {
    const error = errorOf({
      excludeLowercase: true,
      excludeUppercase: true,
      excludePunctuation: true,
      includeSpace: true,
      excludeCharacters: '0123456789 ',
    });
    expect(error.message).toBe(PasswordMessages.allExcluded);
  });

  it('rejects a fractional length', () => {
    expect(errorOf({ passwordLength: 1.5 }).code).toBe('INVALID_PARAMETER');
  });
});
