import { startProviderSim, type ProviderSim } from '../../src/index.js';

/** A small HTTP client for the simulator, as a test or an engine would talk to it. */
export interface SimHttpResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export const START = 1_700_000_000;

export async function startSim(): Promise<ProviderSim> {
  return startProviderSim({ seed: 42, now: START });
}

export async function admin<T = Record<string, unknown>>(sim: ProviderSim, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${sim.url}/_sim/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as T;
  if (!res.ok) throw new Error(`admin ${method} ${path} -> ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** POSTs a form-encoded Slack method call; `bearer` goes in `Authorization`. */
export async function slack(sim: ProviderSim, method: string, params: Record<string, string>, options: { bearer?: string; basic?: [string, string] } = {}): Promise<SimHttpResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
  if (options.basic) headers.authorization = `Basic ${Buffer.from(options.basic.join(':')).toString('base64')}`;
  const res = await fetch(`${sim.url}/api/${method}`, { method: 'POST', headers, body: new URLSearchParams(params).toString() });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

export async function oauth2(sim: ProviderSim, endpoint: string, params: Record<string, string>, options: { basic?: [string, string]; bearer?: string; method?: string } = {}): Promise<SimHttpResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (options.basic) headers.authorization = `Basic ${Buffer.from(options.basic.join(':')).toString('base64')}`;
  if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
  const method = options.method ?? 'POST';
  const res = await fetch(`${sim.url}/oauth2/${endpoint}`, { method, headers, body: method === 'GET' ? undefined : new URLSearchParams(params).toString() });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

export interface AppCredentials {
  client_id: string;
  client_secret: string;
}

export async function createApp(sim: ProviderSim, preset: string, knobs?: Record<string, unknown>): Promise<AppCredentials> {
  return admin<AppCredentials>(sim, 'POST', 'apps', { preset, ...(knobs ? { knobs } : {}) });
}

/** A Slack installation's bot (and optionally user) chain, from `/_sim/install`. */
export async function installSlack(sim: ProviderSim, app: AppCredentials, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  return admin(sim, 'POST', 'install', { client_id: app.client_id, team_id: 'T0001', ...extra });
}

export async function refreshSlack(sim: ProviderSim, app: AppCredentials, refreshToken: string): Promise<SimHttpResponse> {
  return slack(sim, 'oauth.v2.access', { client_id: app.client_id, client_secret: app.client_secret, grant_type: 'refresh_token', refresh_token: refreshToken });
}

export async function events(sim: ProviderSim, query: Record<string, string> = {}): Promise<{ events: Array<Record<string, unknown>>; next: number }> {
  return admin(sim, 'GET', `events?${new URLSearchParams(query).toString()}`);
}

export async function advance(sim: ProviderSim, seconds: number): Promise<void> {
  await admin(sim, 'POST', 'clock', { advance: seconds });
}
