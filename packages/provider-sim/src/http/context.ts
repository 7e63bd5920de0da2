import type { EventLog } from '../domain/event-log.js';
import type { FaultInjector } from '../domain/faults.js';
import type { TokenBucketLimiter } from '../domain/rate-limiter.js';
import type { SimState } from '../domain/sim-state.js';

/** What the HTTP handlers share: one per simulator instance. */
export interface SimContext {
  state: SimState;
  events: EventLog;
  faults: FaultInjector;
  limiter: TokenBucketLimiter;
  nextRequestId(): string;
}
