import type { ChangeNotifier } from '../ports/change-notifier.js';
import type { Logger } from '../ports/logger.js';
import type { RotationEvent, RotationQueries } from '../ports/rotation-store.js';
import { WakeSignal } from './wake-signal.js';

/**
 * The rotation event stream: fans the durable `rotation_events` log out to live
 * subscribers (Server-Sent Events, webhooks). One reader reads new rows for everyone —
 * one indexed `id > cursor` query per wake-up, however many subscribers there are — and it
 * runs only while someone is subscribed. With a change notifier it reads when told that
 * events were committed (by this process, or by another replica through PostgreSQL
 * LISTEN/NOTIFY), within milliseconds, and polls only as a fallback every 2 s (a lost
 * notification costs latency, never an event); without one it polls every 200 ms. A subscriber that resumes from an older id
 * (SSE `Last-Event-ID`) first reads its backlog page by page, then joins the live feed
 * without a gap or a duplicate. Events carry ids and outcomes, never secret values.
 */
export interface RotationEventPayload {
  EventId: number;
  Kind: RotationEvent['kind'];
  Date: string;
  SecretId: string;
  Name: string;
  RotationId: string | null;
  VersionId: string | null;
  Step: string | null;
  Attempt: number | null;
  Message: string | null;
}

/** The JSON every consumer sees: SSE `data:`, webhook bodies, `rotor events --output json`. */
export function toEventPayload(event: RotationEvent): RotationEventPayload {
  return {
    EventId: event.id,
    Kind: event.kind,
    Date: new Date(event.at).toISOString(),
    SecretId: event.secretArn,
    Name: event.secretName,
    RotationId: event.rotationId ?? null,
    VersionId: event.versionId ?? null,
    Step: event.step ?? null,
    Attempt: event.attempt ?? null,
    Message: event.message ?? null,
  };
}

export interface Subscription {
  /** Resume after this event id; live events only when absent. */
  readonly afterId?: number | undefined;
  /** Only events of this secret ARN. */
  readonly secretArn?: string | undefined;
  readonly onEvent: (event: RotationEvent) => void;
  /** The stream stopped (server shutdown) or the backlog could not be read. */
  readonly onClose?: (() => void) | undefined;
}

export interface RotationEventStreamDeps {
  readonly events: Pick<RotationQueries, 'listRotationEvents' | 'latestRotationEventId'>;
  readonly logger: Logger;
  /** Wakes the reader when events were committed; listened to only while someone subscribes. */
  readonly changes?: Pick<ChangeNotifier, 'subscribe'> | undefined;
  /** How often the log is read while someone listens. @default 2_000 with `changes`, else 200 */
  readonly pollMs?: number;
  /** Rows read per query. @default 500 */
  readonly pageSize?: number;
}

interface Subscriber {
  readonly subscription: Subscription;
  /** The last event id this subscriber has been given (or skipped by its filter). */
  position: number;
  live: boolean;
  closed: boolean;
}

export function createRotationEventStream(deps: RotationEventStreamDeps) {
  const pollMs = deps.pollMs ?? (deps.changes === undefined ? 200 : 2_000);
  const pageSize = deps.pageSize ?? 500;
  const { events, logger } = deps;
  const subscribers = new Set<Subscriber>();
  const signal = new WakeSignal();
  /** The newest event id handed to live subscribers; undefined while nobody listens. */
  let cursor: number | undefined;
  let cursorReady: Promise<number> | undefined;
  let polling = false;
  let stopped = false;

  function deliver(subscriber: Subscriber, event: RotationEvent): void {
    if (subscriber.closed || event.id <= subscriber.position) return;
    subscriber.position = event.id;
    const { secretArn, onEvent } = subscriber.subscription;
    if (secretArn !== undefined && event.secretArn !== secretArn) return;
    try {
      onEvent(event);
    } catch (thrown) {
      logger.warn({ cause: thrown instanceof Error ? thrown.message : typeof thrown }, 'event subscriber failed');
    }
  }

  async function liveCursor(): Promise<number> {
    if (cursor !== undefined) return cursor;
    cursorReady ??= events.latestRotationEventId().then((id) => {
      cursor ??= id;
      cursorReady = undefined;
      return cursor;
    });
    return cursorReady;
  }

  async function poll(): Promise<void> {
    polling = true;
    // A notification that comes while a page is being read is kept by the WakeSignal, so
    // the loop reads once more instead of sleeping through it.
    const stopListening = deps.changes?.subscribe((kind) => {
      if (kind === 'rotation-events') signal.wake();
    });
    while (!stopped && subscribers.size > 0) {
      try {
        const from = await liveCursor();
        const page = await events.listRotationEvents(from, pageSize);
        for (const event of page) {
          // Advancing the cursor and delivering happen in one synchronous pass, so a
          // subscriber that turns live between two pages misses nothing.
          cursor = event.id;
          for (const subscriber of subscribers) if (subscriber.live) deliver(subscriber, event);
        }
        if (page.length === pageSize) continue;
      } catch (thrown) {
        logger.error({ cause: thrown instanceof Error ? thrown.message : typeof thrown }, 'event stream poll failed');
      }
      await signal.sleep(pollMs);
    }
    stopListening?.();
    polling = false;
    // Nobody listens: forget the cursor, so the next live subscriber starts at the newest event.
    if (subscribers.size === 0) cursor = undefined;
  }

  async function catchUp(subscriber: Subscriber): Promise<void> {
    for (;;) {
      const known = await liveCursor();
      if (subscriber.closed) return;
      // Read the cursor again after the await: the poller may have moved it meanwhile.
      const target = cursor ?? known;
      if (subscriber.position >= target) {
        subscriber.live = true;
        return;
      }
      const page = await events.listRotationEvents(subscriber.position, pageSize);
      let advanced = false;
      for (const event of page) {
        if (event.id > (cursor ?? target)) break;
        deliver(subscriber, event);
        advanced = true;
      }
      // Rows up to the cursor were removed meanwhile: nothing is left to catch up on.
      if (!advanced) subscriber.position = Math.max(subscriber.position, cursor ?? target);
    }
  }

  return {
    /**
     * Subscribes; resolves once the subscriber is registered (its backlog, if any, is being
     * sent). Returns the function that unsubscribes.
     */
    async subscribe(subscription: Subscription): Promise<() => void> {
      if (stopped) throw new Error('the event stream is stopped');
      const start = subscription.afterId ?? (await liveCursor());
      const subscriber: Subscriber = { subscription, position: start, live: false, closed: false };
      subscribers.add(subscriber);
      if (!polling) void poll();
      catchUp(subscriber).catch((thrown: unknown) => {
        logger.warn({ cause: thrown instanceof Error ? thrown.message : typeof thrown }, 'event backlog read failed');
        unsubscribe();
        subscription.onClose?.();
      });
      function unsubscribe(): void {
        subscriber.closed = true;
        subscribers.delete(subscriber);
      }
      return unsubscribe;
    },

    /** New events were appended in this process: read them now rather than at the next tick. */
    wake(): void {
      signal.wake();
    },

    get subscriberCount(): number {
      return subscribers.size;
    },

    /** Ends every subscription (their `onClose` runs) and stops polling. */
    stop(): void {
      stopped = true;
      signal.wake();
      for (const subscriber of subscribers) {
        subscriber.closed = true;
        subscriber.subscription.onClose?.();
      }
      subscribers.clear();
    },
  };
}

export type RotationEventStream = ReturnType<typeof createRotationEventStream>;
