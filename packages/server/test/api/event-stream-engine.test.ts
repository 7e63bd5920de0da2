import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createRotationEventStream, type RotationEventStream } from '../../src/engine/event-stream.js';
import { createEventStreamRoute } from '../../src/http/api/event-stream-route.js';
import type { RotationEvent } from '../../src/ports/rotation-store.js';
import { silentLogger } from '../support/rotor-server.js';

/** The fan-out engine over a fake log: one query per tick for all subscribers, gap-free resume. */

function fakeLog() {
  const rows: RotationEvent[] = [];
  let queries = 0;
  return {
    rows,
    get queries() {
      return queries;
    },
    append(count = 1) {
      for (let i = 0; i < count; i++) {
        const id = rows.length + 1;
        rows.push({ id, at: id, kind: 'started', secretArn: `arn:${id % 2}`, secretName: `s${id % 2}`, rotationId: undefined, versionId: undefined, step: undefined, attempt: undefined, message: undefined });
      }
    },
    source: {
      async listRotationEvents(afterId: number, limit: number) {
        queries += 1;
        return rows.filter((row) => row.id > afterId).slice(0, limit);
      },
      async latestRotationEventId() {
        return rows.at(-1)?.id ?? 0;
      },
    },
  };
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let stream: RotationEventStream | undefined;
afterEach(() => stream?.stop());

describe('rotation event stream', () => {
  it('reads the log once per tick however many subscribers listen', async () => {
    const log = fakeLog();
    log.append(3);
    stream = createRotationEventStream({ events: log.source, logger: silentLogger, pollMs: 20 });
    const received: number[][] = [];
    for (let i = 0; i < 50; i++) {
      const mine: number[] = [];
      received.push(mine);
      await stream.subscribe({ onEvent: (event) => mine.push(event.id) });
    }
    await settle(50);
    const before = log.queries;
    log.append(5);
    await settle(200);
    for (const ids of received) expect(ids).toEqual([4, 5, 6, 7, 8]);
    // About 10 ticks in 200 ms: a handful of queries, not 50 per tick.
    expect(log.queries - before).toBeLessThan(20);
  });

  it('replays the backlog after an id, then continues live without gaps or repeats, honouring the secret filter', async () => {
    const log = fakeLog();
    log.append(10);
    stream = createRotationEventStream({ events: log.source, logger: silentLogger, pollMs: 10, pageSize: 3 });
    const all: number[] = [];
    const filtered: number[] = [];
    await stream.subscribe({ afterId: 2, onEvent: (event) => all.push(event.id) });
    await stream.subscribe({ afterId: 0, secretArn: 'arn:1', onEvent: (event) => filtered.push(event.id) });
    log.append(4);
    await settle(150);
    expect(all).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect(filtered).toEqual([1, 3, 5, 7, 9, 11, 13]);
  });

  it('ends every subscription on stop', async () => {
    const log = fakeLog();
    stream = createRotationEventStream({ events: log.source, logger: silentLogger, pollMs: 10 });
    let closed = 0;
    await stream.subscribe({ onEvent: () => undefined, onClose: () => (closed += 1) });
    await stream.subscribe({ onEvent: () => undefined, onClose: () => (closed += 1) });
    stream.stop();
    expect(closed).toBe(2);
    expect(stream.subscriberCount).toBe(0);
  });
});

describe('the SSE route', () => {
  it('sends a heartbeat comment while idle and events in the SSE format', async () => {
    const log = fakeLog();
    stream = createRotationEventStream({ events: log.source, logger: silentLogger, pollMs: 10 });
    const route = createEventStreamRoute({ stream, resolveSecretArn: async (id) => id, heartbeatMs: 30 });
    const server = createServer((request, response) => void route(request, response, new URLSearchParams()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/events`);
      const reader = response.body!.getReader();
      let text = '';
      const deadline = Date.now() + 5_000;
      let appended = false;
      while (!text.includes('event: started') && Date.now() < deadline) {
        const { value } = await reader.read();
        text += new TextDecoder().decode(value);
        if (!appended && text.includes(': heartbeat')) {
          appended = true;
          log.append(1);
        }
      }
      await reader.cancel();
      expect(text).toContain(': heartbeat\n\n');
      expect(text).toMatch(/id: 1\nevent: started\ndata: \{"EventId":1,"Kind":"started",[^\n]*\}\n\n/);
    } finally {
      stream.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
