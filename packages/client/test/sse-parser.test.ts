import { describe, expect, it } from 'vitest';
import { ServerSentEventParser, type ParsedEvent } from '../src/event-subscription.js';

/** The SSE wire format, fed in the awkward chunkings a TCP stream can deliver. */

function parse(chunks: readonly string[]): { events: ParsedEvent[]; retryMs: number | undefined } {
  const events: ParsedEvent[] = [];
  const parser = new ServerSentEventParser((event) => events.push(event));
  for (const chunk of chunks) parser.push(chunk);
  return { events, retryMs: parser.retryMs };
}

const serverOutput =
  ': rotor rotation events\nretry: 2000\n\n' +
  'id: 7\nevent: succeeded\ndata: {"EventId":7,"Kind":"succeeded","SecretId":"arn:a","Name":"a"}\n\n' +
  ': heartbeat\n\n' +
  'id: 8\nevent: rolled-back\ndata: {"EventId":8}\n\n';

describe('the server-sent event parser', () => {
  it('reads what the Rotor server writes: comments skipped, retry noted, id and kind kept', () => {
    const { events, retryMs } = parse([serverOutput]);
    expect(retryMs).toBe(2000);
    expect(events).toEqual([
      { id: '7', event: 'succeeded', data: '{"EventId":7,"Kind":"succeeded","SecretId":"arn:a","Name":"a"}' },
      { id: '8', event: 'rolled-back', data: '{"EventId":8}' },
    ]);
  });

  it('gives the same events however the text is split, one character at a time included', () => {
    const whole = parse([serverOutput]).events;
    expect(parse([...serverOutput]).events).toEqual(whole);
    for (let cut = 1; cut < serverOutput.length; cut += 7) {
      expect(parse([serverOutput.slice(0, cut), serverOutput.slice(cut)]).events).toEqual(whole);
    }
  });

  it('accepts CRLF and CR line ends, a CRLF split between chunks included', () => {
    const crlf = serverOutput.replaceAll('\n', '\r\n');
    const cr = serverOutput.replaceAll('\n', '\r');
    const whole = parse([serverOutput]).events;
    expect(parse([crlf]).events).toEqual(whole);
    expect(parse([cr]).events).toEqual(whole);
    expect(parse([...crlf]).events).toEqual(whole);
  });

  it('joins multi-line data, keeps the last id for later events, defaults the kind to message', () => {
    const { events } = parse(['id: 3\ndata: one\ndata:two\n\n', 'data: three\n\n', 'event\ndata\n\n']);
    expect(events).toEqual([
      { id: '3', event: 'message', data: 'one\ntwo' },
      { id: '3', event: 'message', data: 'three' },
      { id: '3', event: 'message', data: '' },
    ]);
  });

  it('dispatches nothing for a block without data, and waits for the blank line', () => {
    expect(parse(['event: succeeded\nid: 9\n\n']).events).toEqual([]);
    expect(parse(['id: 9\nevent: succeeded\ndata: {}\n']).events).toEqual([]);
  });
});
