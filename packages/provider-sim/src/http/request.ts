import type { IncomingMessage } from 'node:http';

/** A parsed HTTP request: the provider and admin handlers never touch `IncomingMessage`. */
export interface SimRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Provider arguments: query string, then the form or JSON body (body wins), as strings. */
  params: Map<string, string>;
  /** The JSON body as sent (admin API); `undefined` for form bodies. */
  json: unknown;
  /** Client credentials from `Authorization: Basic`, if that header was used. */
  basic: { clientId: string; clientSecret: string } | null;
  /** Token from `Authorization: Bearer`. */
  bearer: string | null;
  /** True when the body claimed to be JSON but did not parse. */
  malformedBody: boolean;
}

const MAX_BODY_BYTES = 1024 * 1024;

export async function readRequest(req: IncomingMessage): Promise<SimRequest> {
  const url = new URL(req.url ?? '/', 'http://sim.invalid');
  const raw = await readBody(req);
  const params = new Map<string, string>();
  for (const [key, value] of url.searchParams) params.set(key, value);

  let json: unknown = undefined;
  let malformedBody = false;
  const contentType = (req.headers['content-type'] ?? '').toLowerCase();
  if (raw.length > 0) {
    // A body that starts like JSON is JSON whatever it is labelled: `curl -d '{…}'` sends it as
    // form-urlencoded, and no form body starts with a brace.
    if (contentType.includes('json') || /^\s*[{[]/.test(raw)) {
      try {
        json = JSON.parse(raw);
        if (json && typeof json === 'object' && !Array.isArray(json)) {
          for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
            if (value === undefined || value === null) continue;
            params.set(key, typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value));
          }
        }
      } catch {
        malformedBody = true;
      }
    } else {
      for (const [key, value] of new URLSearchParams(raw)) params.set(key, value);
    }
  }

  return {
    method: (req.method ?? 'GET').toUpperCase(),
    path: url.pathname,
    query: url.searchParams,
    params,
    json,
    basic: parseBasic(req.headers.authorization),
    bearer: parseBearer(req.headers.authorization),
    malformedBody,
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before base64. */
function parseBasic(header: string | undefined): SimRequest['basic'] {
  const match = header ? /^Basic\s+(\S+)\s*$/i.exec(header) : null;
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const decode = (part: string): string => {
    try {
      return decodeURIComponent(part.replace(/\+/g, ' '));
    } catch {
      return part;
    }
  };
  return { clientId: decode(decoded.slice(0, colon)), clientSecret: decode(decoded.slice(colon + 1)) };
}

function parseBearer(header: string | undefined): string | null {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1] ?? null;
}

/** Client credentials from HTTP Basic, else from the body. */
export function clientCredentials(req: SimRequest): { clientId: string | null; clientSecret: string | null; viaBasic: boolean } {
  if (req.basic) return { clientId: req.basic.clientId, clientSecret: req.basic.clientSecret, viaBasic: true };
  return { clientId: req.params.get('client_id') ?? null, clientSecret: req.params.get('client_secret') ?? null, viaBasic: false };
}
