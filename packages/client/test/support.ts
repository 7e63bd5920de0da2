import { connect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** Test helpers for the client suites: real servers only; these observe or perturb real traffic. */

/** A clock the test moves by hand, shared by the Rotor server and the client. */
export class ManualClock {
  #now: number;
  constructor(start = Date.now()) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  advance(ms: number): void {
    this.#now += ms;
  }
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

/** The real global fetch, with every request recorded (method, path without query, headers). */
export function recordingFetch() {
  const requests: RecordedRequest[] = [];
  const fetchFunction = (input: string | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(input);
    requests.push({
      method: init?.method ?? 'GET',
      path: url.pathname,
      headers: { ...(init?.headers as Record<string, string>) },
      body: typeof init?.body === 'string' ? init.body : undefined,
    });
    return fetch(input, init);
  };
  return {
    fetch: fetchFunction,
    requests,
    /** How many requests went to a path ending in `suffix` (e.g. `/value`, `/v1/events`). */
    count(suffix: string, method?: string): number {
      return requests.filter((request) => request.path.endsWith(suffix) && (method === undefined || request.method === method)).length;
    },
  };
}

/** Polls until `accept(probe())` holds; fails with the last value after `timeoutMs`. */
export async function until<T>(probe: () => Promise<T> | T, accept: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A TCP proxy in front of a real server, to cut connections and refuse new ones: how a
 * network partition or a server restart looks to the client.
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #accepting = true;
  connections = 0;

  private constructor(targetPort: number, targetHost: string) {
    this.#server = createServer((client) => {
      if (!this.#accepting) {
        client.destroy();
        return;
      }
      this.connections += 1;
      const upstream = connect(targetPort, targetHost);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  }

  static async start(target: string): Promise<TcpProxy> {
    const { hostname, port } = new URL(target);
    const proxy = new TcpProxy(Number(port), hostname);
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Connections currently open through the proxy (client side and upstream side each count one). */
  get openSockets(): number {
    return this.#sockets.size;
  }

  /** Cuts every open connection; with `refuse`, new ones are closed on arrival until `accept()`. */
  cut(options: { refuse?: boolean } = {}): void {
    if (options.refuse) this.#accepting = false;
    for (const socket of this.#sockets) socket.destroy();
  }

  accept(): void {
    this.#accepting = true;
  }

  async close(): Promise<void> {
    this.cut({ refuse: true });
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** The JSON body of a recorded request, when it had one. */
export function bodyOf(request: RecordedRequest): Record<string, unknown> | undefined {
  return request.body === undefined ? undefined : (JSON.parse(request.body) as Record<string, unknown>);
}
