import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SimInputError } from '../domain/errors.js';
import type { SimContext } from './context.js';
import { handleAdmin } from './admin-api.js';
import { planAuthorize } from './authorize.js';
import { planOauth2Call } from './oauth2-api.js';
import { runProviderCall, sendJson } from './provider-call.js';
import { readRequest } from './request.js';
import { planSlackCall } from './slack-api.js';

/** Routes: `/api/<method>` Slack, `/oauth/v2/authorize`, `/oauth2/<endpoint>` generic, `/_sim/*` admin. */
export function createSimServer(ctx: SimContext): Server {
  const server = createServer({ keepAlive: true }, (req, res) => {
    handle(ctx, req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const status = error instanceof SimInputError ? error.status : 500;
      sendJson(res, status, { error: error instanceof Error ? error.message : String(error) });
    });
  });
  // Long runs reuse connections; Node's 5 s default would make clients reconnect constantly.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}

async function handle(ctx: SimContext, raw: IncomingMessage, res: ServerResponse): Promise<void> {
  const req = await readRequest(raw);
  const { path } = req;
  if (path.startsWith('/_sim/')) {
    const result = handleAdmin(ctx, path.slice('/_sim/'.length), req);
    sendJson(res, result.status, result.body);
    return;
  }
  if (path.startsWith('/api/')) {
    const method = path.slice('/api/'.length);
    if (!method || method.includes('/')) {
      sendJson(res, 404, { ok: false, error: 'unknown_method' });
      return;
    }
    await runProviderCall(ctx, planSlackCall(ctx.state, method, req), res);
    return;
  }
  if (path === '/oauth/v2/authorize' || path === '/oauth2/authorize') {
    await runProviderCall(ctx, planAuthorize(ctx.state, 'authorize', req), res);
    return;
  }
  if (path.startsWith('/oauth2/')) {
    const call = planOauth2Call(ctx.state, path.slice('/oauth2/'.length), req);
    if (call) {
      await runProviderCall(ctx, call, res);
      return;
    }
  }
  sendJson(res, 404, { error: 'not_found', path });
}

export async function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server.address() as AddressInfo;
}
