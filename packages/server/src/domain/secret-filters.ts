import { AppError, validationError } from './errors.js';

/**
 * ListSecrets / BatchGetSecretValue filters (reference §3 "ListSecrets").
 *
 * Matching, per key:
 * - `name`, `tag-key`, `tag-value`, `primary-region`, `owning-service`: case-sensitive prefix of
 *   the whole attribute (`"testing1 one"` matches no name; AWS-validated).
 * - `description`: word-wise and case-insensitive: every word of the value must be a prefix of
 *   some word of the description (`"a secret"` matches "an secret" but not "asecret";
 *   AWS-validated, despite the model's "Prefix match").
 * - `all`: the same word-wise match against the name, the description, each tag key and each tag
 *   value in turn; all words of the value must match within one attribute (AWS blog: "includes
 *   both 'secrets' and 'for' in the same field").
 *
 * Combining: the values of one filter are ORed, the filters (also two with the same key) are ANDed.
 * A value starting with `!` is the exact negation of the same value without it: `!x` matches
 * whenever `x` would not. So `["one", "!two"]` reads "one OR NOT two". See `matchesFilters` for
 * where this departs from moto.
 */
export const filterKeys = ['description', 'name', 'tag-key', 'tag-value', 'primary-region', 'owning-service', 'all'] as const;
export type FilterKey = (typeof filterKeys)[number];

export interface SecretFilter {
  readonly key: FilterKey;
  readonly values: readonly string[];
}

export interface FilterableSecret {
  readonly name: string;
  readonly description?: string | undefined;
  readonly tags?: readonly { Key: string; Value: string }[] | undefined;
  readonly primaryRegion?: string | undefined;
  readonly owningService?: string | undefined;
}

export const filterLimits = { filters: 10, values: 10, valueLength: 512 } as const;

/** The enum as AWS prints it in validation messages (its own order, not `filterKeys`'). */
const keyEnumText = '[all, name, tag-key, description, tag-value, primary-region, owning-service]';
const valuePattern = /^!?[a-zA-Z0-9 :_@/+=.\-!]*$/;
const valuePatternText = String.raw`^\!?[a-zA-Z0-9 :_@\/\+\=\.\-\!]*$`;

/**
 * Validates raw wire filters into SecretFilters.
 *
 * Two passes, in AWS's order: first the model constraints (filter count, key enum, value count,
 * value length and pattern), all reported together as one ValidationException; then the checks
 * the service itself makes, filter by filter: a missing Key, then missing or empty Values.
 * Wrong JSON types (a numeric Key, Values that is not a list of strings) are serialization errors.
 */
export function parseSecretFilters(raw: ReadonlyArray<{ Key?: unknown; Values?: unknown }>): SecretFilter[] {
  const problems: string[] = [];
  if (raw.length > filterLimits.filters) {
    problems.push(
      `Value '${describeFilters(raw)}' at 'filters' failed to satisfy constraint: Member must have length less than or equal to ${filterLimits.filters}`,
    );
  }

  raw.forEach((filter, index) => {
    const at = `filters.${index + 1}.member`;
    const key = optionalString(filter.Key, 'Key');
    const values = optionalStringList(filter.Values, 'Values');
    if (key !== undefined && !isFilterKey(key)) {
      problems.push(`Value '${key}' at '${at}.key' failed to satisfy constraint: Member must satisfy enum value set: ${keyEnumText}`);
    }
    if (values === undefined) return;
    if (values.length > filterLimits.values) {
      problems.push(
        `Value '[${values.join(', ')}]' at '${at}.values' failed to satisfy constraint: Member must have length less than or equal to ${filterLimits.values}`,
      );
    }
    if (values.some((value) => value.length > filterLimits.valueLength || !valuePattern.test(value))) {
      problems.push(
        `Value '[${values.join(', ')}]' at '${at}.values' failed to satisfy constraint: Member must satisfy constraint: ` +
          `[Member must have length less than or equal to ${filterLimits.valueLength}, Member must satisfy regular expression pattern: ${valuePatternText}]`,
      );
    }
  });

  if (problems.length > 0) {
    throw validationError(problems);
  }

  return raw.map((filter) => {
    const key = filter.Key as FilterKey | undefined | null;
    if (key === undefined || key === null) throw new AppError('INVALID_PARAMETER', 'Invalid filter key');
    const values = filter.Values as string[] | undefined | null;
    if (!values || values.length === 0) {
      throw new AppError('INVALID_PARAMETER', `Invalid filter values for key: ${key}`);
    }
    return { key, values: [...values] };
  });
}

/**
 * True when the secret passes every filter (AND), each filter passing when any of its values
 * matches (OR).
 *
 * Where moto differs and why Rotor does not follow it (neither case is AWS-verified):
 * - moto treats `!x` on a multi-valued attribute as "some tag key does not start with x";
 *   Rotor reads it as "no tag key starts with x", the negation of the positive filter.
 * - moto never matches a secret without a description (or tags) for a description (tag) filter,
 *   even a negated one; Rotor lets `!x` match it, since nothing there matches `x`.
 */
export function matchesFilters(secret: FilterableSecret, filters: readonly SecretFilter[]): boolean {
  return filters.every((filter) => filter.values.some((value) => matchesValue(secret, filter.key, value)));
}

function matchesValue(secret: FilterableSecret, key: FilterKey, value: string): boolean {
  if (value.startsWith('!')) return !matchesTerm(secret, key, value.slice(1));
  return matchesTerm(secret, key, value);
}

function matchesTerm(secret: FilterableSecret, key: FilterKey, term: string): boolean {
  const tags = secret.tags ?? [];
  switch (key) {
    case 'name':
      return secret.name.startsWith(term);
    case 'tag-key':
      return tags.some((tag) => tag.Key.startsWith(term));
    case 'tag-value':
      return tags.some((tag) => tag.Value.startsWith(term));
    case 'primary-region':
      return secret.primaryRegion?.startsWith(term) ?? false;
    case 'owning-service':
      return secret.owningService?.startsWith(term) ?? false;
    case 'description':
      return secret.description !== undefined && matchesWords(term, secret.description);
    case 'all': {
      const attributes = [secret.name, secret.description ?? '', ...tags.map((tag) => tag.Key), ...tags.map((tag) => tag.Value)];
      return attributes.some((attribute) => matchesWords(term, attribute));
    }
  }
}

/** Every word of `term` is a case-insensitive prefix of some word of `text`. A term without words (`"+"`) matches nothing. */
function matchesWords(term: string, text: string): boolean {
  const wanted = splitWords(term).map((word) => word.toLowerCase());
  if (wanted.length === 0) return false;
  const present = splitWords(text).map((word) => word.toLowerCase());
  return wanted.every((word) => present.some((candidate) => candidate.startsWith(word)));
}

/**
 * Splits text into search words the way AWS does for `description` and `all`:
 * - any character that is not a letter or digit separates words (space, `/ - _ + = . @ :`, …);
 * - a new word starts at an uppercase letter followed by a lowercase one, so "MyTest" gives
 *   "My", "Test" and "COMPANYthings" gives "COMPAN", "Ythings" (moto, AWS-verified);
 * - a new word starts where letters change to digits or back ("credsDatabase#892" gives "creds",
 *   "Database", "892"; AWS docs, "Find secrets"). moto does not split there.
 *
 * moto leaves a name with two different separators ("prod-AppBeta/x") unsplit; its test claims
 * AWS never finds such a secret, but never creates one, so Rotor splits it like any other.
 */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  for (const token of text.split(/[^\p{L}\p{N}]+/u)) {
    if (token === '') continue;
    const chars = [...token];
    let start = 0;
    for (let i = 1; i < chars.length; i++) {
      const previous = chars[i - 1]!;
      const current = chars[i]!;
      const next = chars[i + 1];
      const camel = isUpper(current) && next !== undefined && isLower(next);
      const digitEdge = isDigit(previous) !== isDigit(current);
      if (camel || digitEdge) {
        words.push(chars.slice(start, i).join(''));
        start = i;
      }
    }
    words.push(chars.slice(start).join(''));
  }
  return words;
}

const isUpper = (c: string) => /\p{Lu}/u.test(c);
const isLower = (c: string) => /\p{Ll}/u.test(c);
const isDigit = (c: string) => /\p{N}/u.test(c);

function isFilterKey(key: string): key is FilterKey {
  return (filterKeys as readonly string[]).includes(key);
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw serializationError(field);
  return value;
}

function optionalStringList(value: unknown, field: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
    throw serializationError(field);
  }
  return value;
}

function serializationError(field: string): AppError {
  return new AppError('SERIALIZATION', `Filters member ${field} has the wrong type.`);
}

/** A Java-style rendering of the filter list, as AWS echoes it in the "at 'filters'" message. */
function describeFilters(raw: ReadonlyArray<{ Key?: unknown; Values?: unknown }>): string {
  const one = (filter: { Key?: unknown; Values?: unknown }) => {
    const values = Array.isArray(filter.Values) ? `[${filter.Values.map(String).join(', ')}]` : String(filter.Values);
    return `{Key: ${String(filter.Key)},Values: ${values}}`;
  };
  return `[${raw.map(one).join(', ')}]`;
}
