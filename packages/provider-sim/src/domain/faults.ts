import { SimInputError } from './errors.js';
import type { SeededRandom } from './prng.js';

export const FAULT_ACTIONS = [
  'drop_after_commit',
  'error_after_commit',
  'error_before_commit',
  'latency',
  'rate_limit',
  'reset_connection',
  'malformed_json',
  'truncate_body',
  'revoke_family',
  'revoke_token',
  'uninstall',
] as const;

export type FaultAction = (typeof FAULT_ACTIONS)[number];

export interface FaultMatch {
  /** `oauth.v2.access`, `auth.test`, `token`, `resource`…; absent matches every provider endpoint. */
  endpoint?: string;
  grant_type?: string;
  client_id?: string;
  family?: string;
  team_id?: string;
  kind?: string;
  /** Fire from the nth matching request on (1-based); with `nth` and no `times`, fire once. */
  nth?: number;
  /** Fire with this probability (seeded PRNG). */
  probability?: number;
}

export interface FaultRuleInput {
  match?: FaultMatch;
  action: FaultAction;
  /** HTTP status for error actions (default: Slack 200 + `internal_error`, generic 500). */
  status?: number;
  /** Error code in the body of error actions. */
  error?: string;
  /** Seconds for `rate_limit`'s Retry-After (default 30). */
  retry_after?: number;
  /** Real milliseconds for `latency` (and an optional wait before `drop_after_commit`). */
  delay_ms?: number;
  /** For `latency`: before or after the state change (default before). */
  phase?: 'before' | 'after' | 'before_commit' | 'after_commit';
  /** How many times the rule fires; default unlimited (1 when `nth` is set). */
  times?: number;
}

export interface FaultRule extends FaultRuleInput {
  id: string;
  match: FaultMatch;
  /** Requests that satisfied `match` so far. */
  matched: number;
  /** Times the rule fired. */
  fired: number;
}

/** What a request looks like to the matcher. */
export interface FaultSubject {
  endpoint: string;
  grant_type: string | null;
  client_id: string | null;
  family: string | null;
  team_id: string | null;
  kind: string | null;
}

/** Fault rules (spec §4.7), evaluated in order; the first rule that fires wins. */
export class FaultInjector {
  readonly #rng: SeededRandom;
  #rules: FaultRule[] = [];
  #counter = 0;

  constructor(rng: SeededRandom) {
    this.#rng = rng;
  }

  add(inputs: unknown): FaultRule[] {
    if (!Array.isArray(inputs)) throw new SimInputError('rules must be an array');
    const parsed = inputs.map((input) => this.#parse(input));
    this.#rules.push(...parsed);
    return parsed;
  }

  list(): FaultRule[] {
    return this.#rules;
  }

  clear(): void {
    this.#rules = [];
  }

  remove(id: string): boolean {
    const before = this.#rules.length;
    this.#rules = this.#rules.filter((rule) => rule.id !== id);
    return this.#rules.length !== before;
  }

  /** Counts the request against every matching rule and returns the first one that fires. */
  select(subject: FaultSubject): FaultRule | null {
    let chosen: FaultRule | null = null;
    for (const rule of this.#rules) {
      if (!matches(rule.match, subject)) continue;
      rule.matched++;
      if (chosen) continue;
      const times = rule.times ?? (rule.match.nth !== undefined ? 1 : Number.POSITIVE_INFINITY);
      if (rule.fired >= times) continue;
      if (rule.match.nth !== undefined && rule.matched < rule.match.nth) continue;
      if (rule.match.probability !== undefined && this.#rng.next() >= rule.match.probability) continue;
      rule.fired++;
      chosen = rule;
    }
    return chosen;
  }

  #parse(input: unknown): FaultRule {
    if (typeof input !== 'object' || input === null) throw new SimInputError('a fault rule must be an object');
    const rule = input as FaultRuleInput;
    if (!(FAULT_ACTIONS as readonly string[]).includes(rule.action)) {
      throw new SimInputError(`unknown fault action ${String(rule.action)}; expected one of ${FAULT_ACTIONS.join(', ')}`);
    }
    if (typeof (rule.match ?? {}) !== 'object' || rule.match === null) throw new SimInputError('match must be an object');
    // `nth` and `probability` belong in `match` (contracts §3); accept them beside it too.
    const loose = input as { nth?: number; probability?: number };
    const match: FaultMatch = {
      ...(loose.nth !== undefined ? { nth: loose.nth } : {}),
      ...(loose.probability !== undefined ? { probability: loose.probability } : {}),
      ...rule.match,
    };
    for (const key of ['nth', 'probability'] as const) {
      if (match[key] !== undefined && typeof match[key] !== 'number') throw new SimInputError(`match.${key} must be a number`);
    }
    for (const key of ['status', 'retry_after', 'delay_ms', 'times'] as const) {
      if (rule[key] !== undefined && typeof rule[key] !== 'number') throw new SimInputError(`${key} must be a number`);
    }
    return { ...rule, match, id: `fault-${++this.#counter}`, matched: 0, fired: 0 };
  }
}

function matches(match: FaultMatch, subject: FaultSubject): boolean {
  return (
    (match.endpoint === undefined || match.endpoint === '*' || match.endpoint === subject.endpoint) &&
    (match.grant_type === undefined || match.grant_type === subject.grant_type) &&
    (match.client_id === undefined || match.client_id === subject.client_id) &&
    (match.family === undefined || match.family === subject.family) &&
    (match.team_id === undefined || match.team_id === subject.team_id) &&
    (match.kind === undefined || match.kind === subject.kind)
  );
}
