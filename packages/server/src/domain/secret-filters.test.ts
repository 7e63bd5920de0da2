import { describe, expect, it } from 'vitest';
import { AppError } from './errors.js';
import {
  matchesFilters,
  parseSecretFilters,
  splitWords,
  type FilterableSecret,
  type SecretFilter,
} from './secret-filters.js';

type RawFilter = { Key?: unknown; Values?: unknown };

function names(secrets: readonly FilterableSecret[], raw: RawFilter[]): string[] {
  const filters = parseSecretFilters(raw);
  return secrets.filter((secret) => matchesFilters(secret, filters)).map((secret) => secret.name);
}

function errorOf(raw: RawFilter[]): AppError {
  try {
    parseSecretFilters(raw);
  } catch (thrown) {
    if (AppError.is(thrown)) return thrown;
    throw thrown;
  }
  throw new Error('expected parseSecretFilters to throw');
}

describe('matchesFilters, LocalStack test_list_secrets_filtering (AWS-validated)', () => {
  const secrets: FilterableSecret[] = [
    { name: 'testing1/one-123', description: 'a secret' },
    { name: '/testing2/two-123', description: 'an secret' },
    { name: 'testing3/three-123', description: 'asecret' },
    { name: '/testing4/four-123', description: 'thesecret' },
  ];
  const [one, two, three, four] = secrets.map((secret) => secret.name);

  it('matches names starting with "/" for name "/"', () => {
    expect(names(secrets, [{ Key: 'name', Values: ['/'] }])).toEqual([two, four]);
  });

  it('matches names not starting with "/" for name "!/"', () => {
    expect(names(secrets, [{ Key: 'name', Values: ['!/'] }])).toEqual([one, three]);
  });

  it('matches no name for "testing1 one", because name is a prefix match on the whole name', () => {
    expect(names(secrets, [{ Key: 'name', Values: ['testing1 one'] }])).toEqual([]);
  });

  it('matches "a secret", "an secret" and "asecret" but not "thesecret" for description "a"', () => {
    expect(names(secrets, [{ Key: 'description', Values: ['a'] }])).toEqual([one, two, three]);
  });

  it('matches only "thesecret" for description "!a"', () => {
    expect(names(secrets, [{ Key: 'description', Values: ['!a'] }])).toEqual([four]);
  });

  it('matches "a secret" and "an secret" but not "asecret" for description "a secret"', () => {
    expect(names(secrets, [{ Key: 'description', Values: ['a secret'] }])).toEqual([one, two]);
  });

  it('matches all four for description "!c"', () => {
    expect(names(secrets, [{ Key: 'description', Values: ['!c'] }])).toEqual([one, two, three, four]);
  });

  it('ANDs description "a" with name "secret" and finds nothing', () => {
    expect(
      names(secrets, [
        { Key: 'description', Values: ['a'] },
        { Key: 'name', Values: ['secret'] },
      ]),
    ).toEqual([]);
  });

  it('ANDs description "a" with name "an" and finds nothing', () => {
    expect(
      names(secrets, [
        { Key: 'description', Values: ['a'] },
        { Key: 'name', Values: ['an'] },
      ]),
    ).toEqual([]);
  });
});

describe('matchesFilters, prefix keys', () => {
  it('matches name prefixes case-sensitively', () => {
    const secrets = [{ name: 'DatabaseSecret' }, { name: 'databaseSecret' }, { name: 'MyData' }];
    expect(names(secrets, [{ Key: 'name', Values: ['Data'] }])).toEqual(['DatabaseSecret']);
  });

  it('matches tag keys by case-sensitive prefix (AWS docs: Prod matches Production and Prod1)', () => {
    const secrets: FilterableSecret[] = [
      { name: 'a', tags: [{ Key: 'Production', Value: 'x' }] },
      { name: 'b', tags: [{ Key: 'Prod1', Value: 'x' }] },
      { name: 'c', tags: [{ Key: 'prod', Value: 'x' }] },
      { name: 'd', tags: [{ Key: '1 Prod', Value: 'x' }] },
      { name: 'e' },
    ];
    expect(names(secrets, [{ Key: 'tag-key', Values: ['Prod'] }])).toEqual(['a', 'b']);
  });

  it('matches tag values by case-sensitive prefix', () => {
    const secrets: FilterableSecret[] = [
      { name: 'foo', tags: [{ Key: '1', Value: 'baz' }] },
      { name: 'bar', tags: [{ Key: 'baz', Value: '1' }] },
      { name: 'qux', tags: [{ Key: '1', Value: 'Baz' }] },
    ];
    expect(names(secrets, [{ Key: 'tag-value', Values: ['ba'] }])).toEqual(['foo']);
  });

  it('matches primary-region and owning-service by case-sensitive prefix and never when absent', () => {
    const secrets: FilterableSecret[] = [
      { name: 'a', primaryRegion: 'eu-west-1', owningService: 'rds' },
      { name: 'b', primaryRegion: 'us-east-1' },
      { name: 'c' },
    ];
    expect(names(secrets, [{ Key: 'primary-region', Values: ['eu-'] }])).toEqual(['a']);
    expect(names(secrets, [{ Key: 'primary-region', Values: ['EU-'] }])).toEqual([]);
    expect(names(secrets, [{ Key: 'owning-service', Values: ['rd'] }])).toEqual(['a']);
    expect(names(secrets, [{ Key: 'owning-service', Values: ['n/a'] }])).toEqual([]);
  });

  it('ANDs a tag-key filter with a tag-value filter (moto test_with_multiple_filters)', () => {
    const secrets: FilterableSecret[] = [
      { name: 'foo', tags: [{ Key: 'right', Value: 'right' }] },
      { name: 'bar', tags: [{ Key: 'right', Value: 'wrong' }] },
      { name: 'baz', tags: [{ Key: 'wrong', Value: 'right' }] },
      { name: 'qux', tags: [{ Key: 'wrong', Value: 'wrong' }] },
    ];
    expect(
      names(secrets, [
        { Key: 'tag-key', Values: ['right'] },
        { Key: 'tag-value', Values: ['right'] },
      ]),
    ).toEqual(['foo']);
  });

  it('ORs the values of one filter', () => {
    const secrets = [{ name: 'foo' }, { name: 'bar' }, { name: 'baz' }];
    expect(names(secrets, [{ Key: 'name', Values: ['foo', 'bar'] }])).toEqual(['foo', 'bar']);
  });
});

describe('matchesFilters, description words', () => {
  const secrets: FilterableSecret[] = [
    { name: 'foo', description: 'one two' },
    { name: 'bar', description: 'one and two' },
    { name: 'baz', description: 'one' },
    { name: 'qux', description: 'two' },
    { name: 'none', description: 'unrelated' },
    { name: 'bare' },
  ];

  it('needs every word of the value in the description, in any order (moto, AWS-verified)', () => {
    expect(names(secrets, [{ Key: 'description', Values: ['one two'] }])).toEqual(['foo', 'bar']);
    expect(names(secrets, [{ Key: 'description', Values: ['two one'] }])).toEqual(['foo', 'bar']);
  });

  it('treats each word as a prefix (moto, AWS-verified)', () => {
    expect(names(secrets, [{ Key: 'description', Values: ['o t'] }])).toEqual(['foo', 'bar']);
    expect(names(secrets, [{ Key: 'description', Values: ['t'] }])).toEqual(['foo', 'bar', 'qux']);
  });

  it('ANDs two description filters (moto test_with_duplicate_filter_keys, AWS-verified)', () => {
    const duplicates: FilterableSecret[] = [
      { name: 'foo', description: 'one two' },
      { name: 'bar', description: 'one' },
      { name: 'baz', description: 'two' },
      { name: 'qux', description: 'unrelated' },
    ];
    expect(
      names(duplicates, [
        { Key: 'description', Values: ['one'] },
        { Key: 'description', Values: ['two'] },
      ]),
    ).toEqual(['foo']);
  });

  it('ignores case (AWS docs: "My Description" matches "Description of my secret")', () => {
    const docs: FilterableSecret[] = [
      { name: 'a', description: 'My Description' },
      { name: 'b', description: 'my description' },
      { name: 'c', description: 'My basic description' },
      { name: 'd', description: 'Description of my secret' },
      { name: 'e', description: 'Descriptive text' },
    ];
    expect(names(docs, [{ Key: 'description', Values: ['My Description'] }])).toEqual(['a', 'b', 'c', 'd']);
  });

  it('never matches a secret without a description for a plain value', () => {
    expect(names([{ name: 'bare' }], [{ Key: 'description', Values: ['a'] }])).toEqual([]);
  });
});

describe('matchesFilters, negation', () => {
  const secrets: FilterableSecret[] = [
    { name: 'foo', description: 'one two' },
    { name: 'bar', description: 'one and two' },
    { name: 'baz', description: 'one' },
    { name: 'qux', description: 'two' },
    { name: 'none', description: 'unrelated' },
  ];

  it('ORs a negated value with a plain one: ["one", "!two"] is "one OR NOT two"', () => {
    // moto test_with_filter_with_negation expects foo, bar and baz among the results.
    expect(names(secrets, [{ Key: 'description', Values: ['one', '!two'] }])).toEqual(['foo', 'bar', 'baz', 'none']);
  });

  it('matches the descriptions without a word starting with "o" for "!o"', () => {
    expect(names(secrets, [{ Key: 'description', Values: ['!o'] }])).toEqual(['qux', 'none']);
  });

  it('ORs two negated values: ["!one", "!two"] excludes only secrets with both', () => {
    expect(names(secrets, [{ Key: 'description', Values: ['!one', '!two'] }])).toEqual(['baz', 'qux', 'none']);
  });

  it('ANDs negations given as separate filters: excludes secrets with either', () => {
    expect(
      names(secrets, [
        { Key: 'description', Values: ['!one'] },
        { Key: 'description', Values: ['!two'] },
      ]),
    ).toEqual(['none']);
  });

  it('negates a multi-word value as a whole: "!one two" drops only secrets with both words', () => {
    expect(names(secrets, [{ Key: 'description', Values: ['!one two'] }])).toEqual(['baz', 'qux', 'none']);
  });

  it('negates tag-key over all tags: "!env" keeps only secrets with no tag key starting with env', () => {
    const tagged: FilterableSecret[] = [
      { name: 'both', tags: [{ Key: 'env', Value: 'prod' }, { Key: 'team', Value: 'a' }] },
      { name: 'team-only', tags: [{ Key: 'team', Value: 'a' }] },
      { name: 'untagged' },
    ];
    expect(names(tagged, [{ Key: 'tag-key', Values: ['!env'] }])).toEqual(['team-only', 'untagged']);
  });

  it('lets a negated description value match a secret without a description', () => {
    expect(names([{ name: 'bare' }], [{ Key: 'description', Values: ['!a'] }])).toEqual(['bare']);
  });

  it('negates only a leading "!": "!!x" matches names not starting with "!x"', () => {
    const secrets2 = [{ name: 'plain' }];
    expect(names(secrets2, [{ Key: 'name', Values: ['!!x'] }])).toEqual(['plain']);
  });
});

describe('matchesFilters, all', () => {
  const u = 'a1b2c3';
  const secrets: FilterableSecret[] = [
    { name: `SecretOne${u}` },
    { name: `SecretTwo${u}`, description: 'DescTwo' },
    { name: `Thirdsecret${u}` },
    { name: `SecretFTag${u}`, tags: [{ Key: '1', Value: 'foo' }] },
    { name: `SecretFValue${u}`, tags: [{ Key: 'foo', Value: 'v' }] },
    { name: `none${u}` },
  ];
  const [first, second, third, tagKey, tagValue] = secrets.map((secret) => secret.name);
  const all = (value: string) => names(secrets, [{ Key: 'all', Values: [value] }]);

  // moto test_with_all_filter (aws_verified, flaky)
  it('matches a full CamelCase name', () => expect(all('SecretOne')).toEqual([first]));
  it('searches tag keys and tag values', () => expect(all('foo')).toEqual([tagKey, tagValue]));
  it('matches words by prefix, ignoring case', () => {
    expect(all('Secret')).toEqual([first, second, tagKey, tagValue]);
    expect(all('secret')).toEqual([first, second, tagKey, tagValue]);
    expect(all('sec')).toEqual([first, second, tagKey, tagValue]);
  });
  it('does not match inside a word', () => expect(all('ret')).toEqual([]));
  it('needs every word of the value', () => expect(all('SomeSecret')).toEqual([]));
  it('searches the description', () => {
    expect(all('d')).toEqual([second]);
    expect(all('d t')).toEqual([second]);
  });
  it('finds words starting with t in names and descriptions', () => expect(all('t')).toEqual([second, third, tagKey]));

  it('needs all words within one attribute, not spread over several', () => {
    const spread: FilterableSecret[] = [
      { name: 'alpha', description: 'beta' },
      { name: 'alpha-beta' },
    ];
    expect(names(spread, [{ Key: 'all', Values: ['alpha beta'] }])).toEqual(['alpha-beta']);
  });

  describe('special characters (moto test_with_all_filter_special_characters, aws_verified, flaky)', () => {
    const v = 'k9x7q';
    const special = ['/', '_', '+', '=', '.', '@', '-'].map((sep) => ({ name: `prod${sep}AppBeta${sep}${v}` }));
    const upper = [{ name: `uat/COMPANY/${v}` }, { name: `uat/COMPANYthings/${v}` }];
    const everything: FilterableSecret[] = [...special, ...upper];
    const specialNames = special.map((s) => s.name);
    const search = (...values: string[]) => names(everything, [{ Key: 'all', Values: values }]);

    it('splits on / _ + = . @ - and CamelCase', () => {
      expect(search('AppBeta')).toEqual(specialNames);
      expect(search('Beta')).toEqual(specialNames);
      expect(search('AppBeta', 'prod')).toEqual(specialNames);
    });
    it('matches nothing for a separator on its own', () => expect(search('+')).toEqual([]));
    it('finds the common suffix in every name', () => expect(search(v)).toEqual(everything.map((s) => s.name)));
    it('keeps an all-caps word whole', () => expect(search('company')).toEqual([upper[0]!.name]));
    it('splits "COMPANYthings" into "COMPAN" and "Ythings"', () => {
      expect(search('things')).toEqual([]);
      expect(search('Ythings')).toEqual([upper[1]!.name]);
      expect(search('N')).toEqual([]);
      expect(search('pany')).toEqual([]);
    });
  });
});

describe('splitWords', () => {
  it.each([
    ['test', ['test']],
    ['my test', ['my', 'test']],
    ['Mytest', ['Mytest']],
    ['MyTest', ['My', 'Test']],
    ['MyTestPhrase', ['My', 'Test', 'Phrase']],
    ['myTest', ['my', 'Test']],
    ['my/test', ['my', 'test']],
    ['COMPANYthings', ['COMPAN', 'Ythings']],
    ['COMPANY', ['COMPANY']],
    ['prod-AppBeta/x', ['prod', 'App', 'Beta', 'x']],
    ['credsDatabase#892', ['creds', 'Database', '892']],
    ['db2prod', ['db', '2', 'prod']],
    ['+', []],
    ['', []],
  ])('splits %j into %j', (input, output) => {
    expect(splitWords(input)).toEqual(output);
  });
});

describe('parseSecretFilters', () => {
  it('returns typed filters for valid input', () => {
    const parsed: SecretFilter[] = parseSecretFilters([
      { Key: 'name', Values: ['foo', '!bar'] },
      { Key: 'all', Values: ['a b:c_d@e/f+g=h.i-j!k'] },
    ]);
    expect(parsed).toEqual([
      { key: 'name', values: ['foo', '!bar'] },
      { key: 'all', values: ['a b:c_d@e/f+g=h.i-j!k'] },
    ]);
  });

  it('accepts an empty filter list', () => {
    expect(parseSecretFilters([])).toEqual([]);
  });

  it('rejects a filter without a Key', () => {
    const error = errorOf([{ Values: ['foo'] }]);
    expect(error.code).toBe('INVALID_PARAMETER');
    expect(error.message).toBe('Invalid filter key');
  });

  it('rejects a filter without Values', () => {
    const error = errorOf([{ Key: 'description' }]);
    expect(error.code).toBe('INVALID_PARAMETER');
    expect(error.message).toBe('Invalid filter values for key: description');
  });

  it('rejects a filter with an empty Values list', () => {
    const error = errorOf([{ Key: 'tag-key', Values: [] }]);
    expect(error.code).toBe('INVALID_PARAMETER');
    expect(error.message).toBe('Invalid filter values for key: tag-key');
  });

  it('rejects an unknown key with the AWS enum message and a 1-based index', () => {
    const error = errorOf([
      { Key: 'name', Values: ['a'] },
      { Key: 'invalid', Values: ['foo'] },
    ]);
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toBe(
      "1 validation error detected: Value 'invalid' at 'filters.2.member.key' failed to satisfy constraint: " +
        'Member must satisfy enum value set: [all, name, tag-key, description, tag-value, primary-region, owning-service]',
    );
  });

  it('rejects a value outside the allowed pattern', () => {
    const error = errorOf([{ Key: 'name', Values: ['ok', 'bad#'] }]);
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toBe(
      "1 validation error detected: Value '[ok, bad#]' at 'filters.1.member.values' failed to satisfy constraint: " +
        'Member must satisfy constraint: [Member must have length less than or equal to 512, ' +
        String.raw`Member must satisfy regular expression pattern: ^\!?[a-zA-Z0-9 :_@\/\+\=\.\-\!]*$]`,
    );
  });

  it('accepts a value of 512 characters and rejects one of 513', () => {
    expect(parseSecretFilters([{ Key: 'name', Values: ['a'.repeat(512)] }])).toHaveLength(1);
    const error = errorOf([{ Key: 'name', Values: ['a'.repeat(513)] }]);
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toMatch(/^1 validation error detected: Value '\[a{513}\]' at 'filters\.1\.member\.values'/);
  });

  it('rejects more than 10 values in a filter', () => {
    const values = Array.from({ length: 11 }, (_, i) => `v${i}`);
    const error = errorOf([{ Key: 'name', Values: values }]);
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toBe(
      `1 validation error detected: Value '[${values.join(', ')}]' at 'filters.1.member.values' failed to satisfy constraint: ` +
        'Member must have length less than or equal to 10',
    );
  });

  it('rejects more than 10 filters', () => {
    const filters = Array.from({ length: 11 }, () => ({ Key: 'name', Values: ['a'] }));
    expect(parseSecretFilters(filters.slice(0, 10))).toHaveLength(10);
    const error = errorOf(filters);
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toMatch(
      /^1 validation error detected: Value '\[\{Key: name,Values: \[a\]\}, .*' at 'filters' failed to satisfy constraint: Member must have length less than or equal to 10$/,
    );
  });

  it('reports every constraint violation in one message', () => {
    const error = errorOf([
      { Key: 'nope', Values: ['a'] },
      { Key: 'name', Values: ['bad#'] },
    ]);
    expect(error.code).toBe('VALIDATION');
    expect(error.message).toMatch(/^2 validation errors detected: Value 'nope' at 'filters\.1\.member\.key' .*; Value '\[bad#\]' at 'filters\.2\.member\.values'/);
  });

  it('reports constraint violations before a missing key or values', () => {
    const error = errorOf([{ Values: ['a'] }, { Key: 'nope', Values: ['a'] }]);
    expect(error.code).toBe('VALIDATION');
  });

  it('rejects wrongly typed members as serialization errors', () => {
    expect(errorOf([{ Key: 5, Values: ['a'] }]).code).toBe('SERIALIZATION');
    expect(errorOf([{ Key: 'name', Values: 'a' }]).code).toBe('SERIALIZATION');
    expect(errorOf([{ Key: 'name', Values: [1] }]).code).toBe('SERIALIZATION');
  });
});
