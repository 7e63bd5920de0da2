import { generateRandomPassword, type PasswordOptions } from '../domain/random-password.js';

export interface GetRandomPasswordInput {
  readonly PasswordLength?: number | undefined;
  readonly ExcludeCharacters?: string | undefined;
  readonly ExcludeNumbers?: boolean | undefined;
  readonly ExcludePunctuation?: boolean | undefined;
  readonly ExcludeUppercase?: boolean | undefined;
  readonly ExcludeLowercase?: boolean | undefined;
  readonly IncludeSpace?: boolean | undefined;
  readonly RequireEachIncludedType?: boolean | undefined;
}

/** GetRandomPassword: the domain generator behind the AWS field names. */
export function getRandomPassword(input: GetRandomPasswordInput): { RandomPassword: string } {
  const options: PasswordOptions = {
    passwordLength: input.PasswordLength,
    excludeCharacters: input.ExcludeCharacters,
    excludeNumbers: input.ExcludeNumbers,
    excludePunctuation: input.ExcludePunctuation,
    excludeUppercase: input.ExcludeUppercase,
    excludeLowercase: input.ExcludeLowercase,
    includeSpace: input.IncludeSpace,
    requireEachIncludedType: input.RequireEachIncludedType,
  };
  return { RandomPassword: generateRandomPassword(options) };
}
