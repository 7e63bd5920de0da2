import type { IncomingMessage, ServerResponse } from 'node:http';
import { coerceError } from '../../domain/errors.js';
import type { Logger } from '../../ports/logger.js';
import type { OAuthInstallations } from '../../services/oauth-installations.js';
import { problemTable, publicMessage } from '../api/problem.js';

/**
 * The browser side of installing an OAuth app, unauthenticated by design (a person
 * clicks through the provider's consent page):
 * - `GET /oauth/{function}/install[?name=…]` redirects to the provider with a signed, expiring
 *   state (carrying the install name for patterns with `{install_name}`);
 * - `GET /oauth/{function}/callback` checks the state, exchanges the code and stores the
 *   installation as a secret (`/oauth/slack/callback` for a function named `slack`).
 * Pages say which secret was written, never a token.
 */
const routePattern = /^\/oauth\/([A-Za-z0-9_-]{1,64})\/(install|callback)$/;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function sendPage(response: ServerResponse, status: number, title: string, message: string): void {
  const body = `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>`;
  response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  response.end(body);
}

export function createOAuthHandler(deps: { installations: Pick<OAuthInstallations, 'installUrl' | 'completeInstall'>; logger: Logger }) {
  return async function handleOAuth(request: IncomingMessage, response: ServerResponse): Promise<void> {
    request.resume();
    const url = new URL(request.url ?? '/', 'http://rotor.invalid');
    const match = routePattern.exec(url.pathname);
    if (!match || request.method !== 'GET') {
      sendPage(response, 404, 'Not found', 'No such page.');
      return;
    }
    const [, functionName, action] = match as unknown as [string, string, 'install' | 'callback'];
    try {
      if (action === 'install') {
        const location = await deps.installations.installUrl(functionName, url.searchParams.get('name'));
        response.writeHead(302, { location, 'cache-control': 'no-store', 'content-length': 0 });
        response.end();
        return;
      }
      const stored = await deps.installations.completeInstall(functionName, {
        code: url.searchParams.get('code'),
        state: url.searchParams.get('state'),
        error: url.searchParams.get('error'),
      });
      deps.logger.info({ function: functionName, secret: stored.Name, created: stored.Created }, 'oauth installation stored');
      sendPage(response, 200, 'Installed', `The installation is stored in secret ${stored.Name} and will be refreshed before it expires.`);
    } catch (thrown) {
      const error = coerceError(thrown);
      const status = problemTable[error.code].status;
      deps.logger.warn({ function: functionName, code: error.code }, 'oauth install failed');
      sendPage(response, status, 'Installation failed', publicMessage(error));
    }
  };
}
