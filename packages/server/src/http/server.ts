import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';

export interface HttpServerDeps {
  readonly awsJson: (request: IncomingMessage, response: ServerResponse) => Promise<void>;
  readonly health: () => Promise<Record<string, unknown>>;
  /** Rotor's own REST API (`/v1/...`, http/api). */
  readonly api?: (request: IncomingMessage, response: ServerResponse) => Promise<void>;
  /** The OAuth install flow (`/oauth/{function}/install|callback`, http/oauth). */
  readonly oauth?: (request: IncomingMessage, response: ServerResponse) => Promise<void>;
  readonly logger: Logger;
  /**
   * A clock other than the system's (tests that move time): responses then carry its
   * `Date`, which SDKs use to correct their signing clock, as they would against a server
   * whose clock differs from theirs.
   */
  readonly clock?: Clock | undefined;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/**
 * Routes: `POST /` is the AWS Secrets Manager protocol, `/v1/...` is Rotor's own API,
 * `GET /health` answers without authentication for load balancers. A bare node:http
 * server: it answered about 1.5× Fastify's throughput on this hardware for the same JSON body (DESIGN).
 */
export function createHttpServer(deps: HttpServerDeps): Server {
  const server = createServer((request, response) => {
    if (deps.clock) response.setHeader('date', new Date(deps.clock.now()).toUTCString());
    const path = (request.url ?? '/').split('?', 1)[0] ?? '/';
    if (path === '/' && request.method === 'POST') {
      void deps.awsJson(request, response).catch((error: unknown) => {
        deps.logger.error({ cause: error instanceof Error ? error.message : typeof error }, 'unhandled request failure');
        if (!response.headersSent) sendJson(response, 500, { __type: 'InternalServiceError', Message: 'An error occurred on the server side.' });
        else response.destroy();
      });
      return;
    }
    if (deps.api && path.startsWith('/v1/')) {
      void deps.api(request, response).catch((error: unknown) => {
        deps.logger.error({ cause: error instanceof Error ? error.message : typeof error }, 'unhandled api failure');
        if (!response.headersSent) sendJson(response, 500, { title: 'Internal error', status: 500 });
        else response.destroy();
      });
      return;
    }
    if (deps.oauth && path.startsWith('/oauth/')) {
      void deps.oauth(request, response).catch(() => {
        if (!response.headersSent) sendJson(response, 500, { title: 'Internal error', status: 500 });
        else response.destroy();
      });
      return;
    }
    request.resume();
    if (path === '/health' && request.method === 'GET') {
      deps.health().then(
        (body) => sendJson(response, 200, body),
        () => sendJson(response, 503, { status: 'unavailable' }),
      );
      return;
    }
    if (path === '/') {
      sendJson(response, 405, { __type: 'UnknownOperationException', Message: 'Use POST / with an X-Amz-Target header.' });
      return;
    }
    sendJson(response, 404, { __type: 'UnknownOperationException', Message: `No route for ${request.method ?? ''} ${path}.` });
  });
  // Requests node's own parser refuses (bad method, oversized headers) still get a JSON
  // answer in the AWS error shape rather than node's bare text.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return;
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const body = JSON.stringify({ __type: 'SerializationException', Message: 'The request could not be parsed as HTTP.' });
    socket.end(
      `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
        `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  // Clients hold keep-alive connections; headers must arrive promptly (slowloris guard).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 120_000;
  return server;
}
