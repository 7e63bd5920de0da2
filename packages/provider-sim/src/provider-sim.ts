import { randomInt } from 'node:crypto';
import { SimClock } from './domain/clock.js';
import { EventLog } from './domain/event-log.js';
import { FaultInjector } from './domain/faults.js';
import { SeededRandom } from './domain/prng.js';
import { TokenBucketLimiter } from './domain/rate-limiter.js';
import { SimState } from './domain/sim-state.js';
import { createSimServer, listen } from './http/server.js';

export interface ProviderSimOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** PRNG seed for token bytes, ids, jitter and fault probabilities; random when absent (see `seed` on the handle). */
  seed?: number;
  /** Simulated start time in epoch seconds; default: the real time at start. The clock starts frozen. */
  now?: number;
}

export interface ProviderSim {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:7500`. Slack's `slackApiUrl` is `${url}/api/`. */
  url: string;
  port: number;
  /** The seed actually used. */
  seed: number;
  /** The in-memory provider state, for in-process inspection (tests should prefer the admin API). */
  state: SimState;
  close(): Promise<void>;
}

/** Starts the simulator (docs/design/oauth-contracts.md §3). */
export async function startProviderSim(options: ProviderSimOptions = {}): Promise<ProviderSim> {
  const seed = options.seed ?? randomInt(0, 2 ** 31);
  const root = new SeededRandom(seed);
  // Separate streams: fault probability draws must not shift the token bytes of a seeded run.
  const tokenRng = root.fork();
  const faultRng = root.fork();
  const clock = new SimClock(options.now ?? Date.now() / 1000);
  const state = new SimState(clock, tokenRng);
  let requestCounter = 0;
  const server = createSimServer({
    state,
    events: new EventLog(),
    faults: new FaultInjector(faultRng),
    limiter: new TokenBucketLimiter(clock),
    nextRequestId: () => `req-${++requestCounter}`,
  });
  const host = options.host ?? '127.0.0.1';
  const address = await listen(server, options.port ?? 0, host);
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${address.port}`,
    port: address.port,
    seed,
    state,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
