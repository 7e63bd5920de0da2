import { retryDelay, type RetryPolicy } from '../domain/retry-policy.js';
import type { Redacted } from '../domain/redacted.js';
import type { Logger } from '../ports/logger.js';
import type { RotationEvent, RotationEventKind, RotationQueries } from '../ports/rotation-store.js';
import { toEventPayload, type RotationEventStream } from './event-stream.js';
import { WakeSignal } from './wake-signal.js';

/**
 * Webhooks: every rotation event (or the kinds a webhook asks for) is POSTed as the same
 * JSON the event stream sends, signed like calls to URL functions:
 *
 *   X-Rotor-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 *
 * Each webhook has its own cursor over the durable event log and delivers in log order,
 * one event at a time: a failed delivery (network error or non-2xx) is retried under the
 * retry policy, and an event that exhausts it is logged and skipped so one bad event
 * cannot stall the hook for good. The cursor is kept in memory: after a restart delivery
 * resumes from the newest event, so events appended while the server was down are not sent.
 */
export interface WebhookTarget {
  readonly url: string;
  readonly secret: Redacted<string>;
  /** Only these kinds; all when absent. */
  readonly events?: readonly RotationEventKind[] | undefined;
}

export interface WebhookDeliveryDeps {
  readonly targets: readonly WebhookTarget[];
  readonly events: Pick<RotationQueries, 'listRotationEvents' | 'latestRotationEventId'>;
  /** Wakes the delivery loops when new events arrive. */
  readonly stream: Pick<RotationEventStream, 'subscribe'>;
  /** Computes the X-Rotor-Signature value (HMAC key = the secret's UTF-8 bytes). */
  readonly sign: (secret: string, timestampSeconds: number, body: string) => string;
  readonly now: () => number;
  readonly logger: Logger;
  /** @default 500 ms doubling to 60 s, 8 attempts (about 2 minutes) */
  readonly retryPolicy?: RetryPolicy;
  /** Per-attempt timeout. @default 10_000 */
  readonly timeoutMs?: number;
  /** Longest sleep without a wake-up. @default 5_000 */
  readonly idlePollMs?: number;
}

export const defaultWebhookRetryPolicy: RetryPolicy = Object.freeze({
  initialIntervalMs: 500,
  backoffCoefficient: 2,
  maximumIntervalMs: 60_000,
  maximumAttempts: 8,
});

const pageSize = 100;

export function createWebhookDelivery(deps: WebhookDeliveryDeps) {
  const policy = deps.retryPolicy ?? defaultWebhookRetryPolicy;
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const idlePollMs = deps.idlePollMs ?? 5_000;
  const { events, logger } = deps;
  const stopping = new AbortController();
  const loops: { signal: WakeSignal; done: Promise<void> }[] = [];
  let unsubscribe: (() => void) | undefined;

  /** One POST; undefined on success, else why it failed. */
  async function post(target: WebhookTarget, event: RotationEvent): Promise<string | undefined> {
    const body = JSON.stringify(toEventPayload(event));
    const timestamp = Math.floor(deps.now() / 1000);
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        body,
        signal: AbortSignal.any([stopping.signal, AbortSignal.timeout(timeoutMs)]),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'rotor-webhooks',
          'x-rotor-event': event.kind,
          'x-rotor-event-id': String(event.id),
          'x-rotor-signature': deps.sign(target.secret.reveal(), timestamp, body),
        },
      });
      await response.arrayBuffer().catch(() => undefined);
      return response.ok ? undefined : `HTTP ${response.status}`;
    } catch (thrown) {
      return thrown instanceof Error ? thrown.message : 'request failed';
    }
  }

  /** A backoff pause that only stop() cuts short; new-event wake-ups are left for the idle sleep. */
  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      stopping.signal.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        stopping.signal.removeEventListener('abort', done);
        resolve();
      }
    });
  }

  async function deliver(target: WebhookTarget, event: RotationEvent, log: Logger): Promise<void> {
    for (let attempt = 1; !stopping.signal.aborted; attempt++) {
      const failure = await post(target, event);
      if (failure === undefined) return;
      if (stopping.signal.aborted) return;
      const delay = retryDelay(policy, attempt);
      if (delay === undefined) {
        log.warn({ eventId: event.id, attempts: attempt, reason: failure }, 'webhook delivery failed; event skipped');
        return;
      }
      log.debug({ eventId: event.id, attempt, reason: failure, delayMs: delay }, 'webhook delivery failed; retrying');
      await pause(delay);
    }
  }

  async function run(target: WebhookTarget, signal: WakeSignal, start: number): Promise<void> {
    const log = logger.child({ webhook: new URL(target.url).origin });
    const kinds = target.events === undefined ? undefined : new Set(target.events);
    let cursor = start;
    while (!stopping.signal.aborted) {
      let page: RotationEvent[] = [];
      try {
        page = await events.listRotationEvents(cursor, pageSize);
        for (const event of page) {
          if (kinds === undefined || kinds.has(event.kind)) await deliver(target, event, log);
          if (stopping.signal.aborted) return;
          cursor = event.id;
        }
      } catch (thrown) {
        log.error({ cause: thrown instanceof Error ? thrown.message : typeof thrown }, 'webhook loop failed');
      }
      if (page.length < pageSize) await signal.sleep(idlePollMs);
    }
  }

  return {
    /** Starts one delivery loop per webhook, from the newest event. */
    async start(): Promise<void> {
      if (deps.targets.length === 0) return;
      const start = await events.latestRotationEventId();
      for (const target of deps.targets) {
        const signal = new WakeSignal();
        loops.push({ signal, done: run(target, signal, start) });
      }
      unsubscribe = await deps.stream.subscribe({ onEvent: () => loops.forEach((loop) => loop.signal.wake()) });
    },
    /** Stops delivering; an attempt in flight is aborted. */
    async stop(): Promise<void> {
      unsubscribe?.();
      stopping.abort();
      for (const loop of loops) loop.signal.wake();
      await Promise.allSettled(loops.map((loop) => loop.done));
    },
  };
}
