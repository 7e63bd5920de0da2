import type { SeededRandom } from './prng.js';

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const MIXED_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const DIGITS = '0123456789';
const HEX = '0123456789abcdef';
const BASE64URL = MIXED_ALNUM + '-_';

/**
 * Token and id shapes (reference §1.2). Lengths follow the gitleaks patterns
 * (163 characters after `xoxe.xoxb-1-`, 146 after `xoxe-1-`); clients must not
 * hard-code them, and the simulator does not promise them.
 */
export class TokenShapes {
  readonly #rng: SeededRandom;

  constructor(rng: SeededRandom) {
    this.#rng = rng;
  }

  slackRotatingAccess(kind: 'bot' | 'user' | 'config'): string {
    const prefix = kind === 'bot' ? 'xoxe.xoxb-1-' : 'xoxe.xoxp-1-';
    return prefix + this.#rng.chars(UPPER_ALNUM, 163);
  }

  slackRefresh(): string {
    return 'xoxe-1-' + this.#rng.chars(UPPER_ALNUM, 146);
  }

  slackLegacy(kind: 'bot' | 'user'): string {
    const id = (): string => this.#rng.chars(DIGITS, 13);
    return kind === 'bot'
      ? `xoxb-${id()}-${id()}-${this.#rng.chars(MIXED_ALNUM, 24)}`
      : `xoxp-${id()}-${id()}-${id()}-${this.#rng.chars(HEX, 32)}`;
  }

  generic(prefix: string): string {
    return prefix + this.#rng.chars(BASE64URL, 43);
  }

  authorizationCode(): string {
    return this.#rng.chars(DIGITS, 12) + '.' + this.#rng.chars(HEX, 40);
  }

  /** Slack-style object id: `T…` team, `U…` user, `A…` app, `B…` bot. */
  slackId(letter: string): string {
    return letter + this.#rng.chars(UPPER_ALNUM, 10);
  }

  slackClientId(): string {
    return `${this.#rng.chars(DIGITS, 13)}.${this.#rng.chars(DIGITS, 13)}`;
  }

  clientSecret(): string {
    return this.#rng.chars(HEX, 32);
  }
}
