import type { FamilyKind } from './model.js';

/** Contract outcomes (docs/design/oauth-contracts.md §3), plus `installed` for `/_sim/install`. */
export type EventOutcome = 'issued' | 'grace_replay' | 'rejected' | 'reuse_detected' | 'rate_limited' | 'fault' | 'ok' | 'installed';

/** One provider-side fact (spec §4.8). Token values never appear, only their hashes. */
export interface SimEvent {
  seq: number;
  /** Simulated epoch seconds. */
  t: number;
  request_id: string;
  endpoint: string;
  client_id: string | null;
  team_id: string | null;
  family: string | null;
  kind: FamilyKind | null;
  grant_type: string | null;
  presented_token_hash: string | null;
  /** Generation of the presented token, when it is one of ours. */
  presented_generation: number | null;
  outcome: EventOutcome;
  generation_before: number | null;
  generation_after: number | null;
  error?: string;
  /** Why a token was refused: unknown, revoked, expired, superseded, wrong_client… */
  reason?: string;
  /** The injected fault that shaped this request, if any. */
  fault?: string;
  /** HTTP status sent; null when the connection was dropped or reset. */
  http_status: number | null;
  issued_access_token_hash?: string;
  issued_refresh_token_hash?: string;
}

export type SimEventDraft = Omit<SimEvent, 'seq' | 't'>;

export interface EventQuery {
  since?: number;
  client_id?: string | null;
  family?: string | null;
  endpoint?: string | null;
  limit?: number;
}

/**
 * Append-only event log with per-family, per-client and per-endpoint indexes of sequence
 * numbers, so `?family=` is a binary search plus a walk over that family's own events
 * rather than a scan of a log that a long run grows to hundreds of thousands of entries.
 */
export class EventLog {
  readonly #events: SimEvent[] = [];
  readonly #byFamily = new Map<string, number[]>();
  readonly #byClient = new Map<string, number[]>();
  readonly #byEndpoint = new Map<string, number[]>();

  append(draft: SimEventDraft, t: number): SimEvent {
    const event: SimEvent = { seq: this.#events.length + 1, t, ...draft };
    this.#events.push(event);
    if (event.family) index(this.#byFamily, event.family, event.seq);
    if (event.client_id) index(this.#byClient, event.client_id, event.seq);
    index(this.#byEndpoint, event.endpoint, event.seq);
    return event;
  }

  get size(): number {
    return this.#events.length;
  }

  /** Events with `seq > since` matching every filter; `next` is the `since` for the following call. */
  query(query: EventQuery): { events: SimEvent[]; next: number } {
    const since = query.since ?? 0;
    const limit = query.limit ?? Number.POSITIVE_INFINITY;
    const candidates: (number[] | undefined)[] = [];
    if (query.family) candidates.push(this.#byFamily.get(query.family) ?? []);
    if (query.client_id) candidates.push(this.#byClient.get(query.client_id) ?? []);
    if (query.endpoint) candidates.push(this.#byEndpoint.get(query.endpoint) ?? []);
    const matches = (event: SimEvent): boolean =>
      (!query.family || event.family === query.family) &&
      (!query.client_id || event.client_id === query.client_id) &&
      (!query.endpoint || event.endpoint === query.endpoint);

    const events: SimEvent[] = [];
    const shortest = candidates.reduce<number[] | undefined>((best, list) => (best === undefined || (list && list.length < best.length) ? list : best), undefined);
    if (shortest === undefined) {
      for (let i = Math.max(0, since); i < this.#events.length && events.length < limit; i++) events.push(this.#events[i] as SimEvent);
    } else {
      for (let i = firstAbove(shortest, since); i < shortest.length && events.length < limit; i++) {
        const event = this.#events[(shortest[i] as number) - 1] as SimEvent;
        if (matches(event)) events.push(event);
      }
    }
    const last = events[events.length - 1];
    return { events, next: last ? last.seq : Math.max(since, this.#events.length) };
  }
}

function index(map: Map<string, number[]>, key: string, seq: number): void {
  const list = map.get(key);
  if (list) list.push(seq);
  else map.set(key, [seq]);
}

/** Index of the first element greater than `value` in an ascending array. */
function firstAbove(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
