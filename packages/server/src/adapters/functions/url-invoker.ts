import { createHmac } from 'node:crypto';
import { RotationStepError } from '../../domain/rotation.js';
import type { StepInvoker } from '../../ports/rotation-function.js';

/**
 * Calls a rotation function over HTTP: `POST <url>` with the AWS rotation event as the
 * JSON body. Rotor signs every call so the endpoint can check the caller:
 *
 *   X-Rotor-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(key, "<t>.<body>")>
 *
 * The rotation's short-lived credentials and Rotor's endpoint travel in headers, for
 * functions that call back. A 2xx answer is success; 408, 429 and 5xx are retried
 * (honouring Retry-After); other statuses fail the step for good.
 */
export interface UrlFunctionConfig {
  readonly url: string;
  /** Base64 HMAC key, created with the function and shown once. */
  readonly signingKey: string;
}

export function signRotationCall(signingKey: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', Buffer.from(signingKey, 'base64')).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

export function createUrlInvoker(deps: { config: UrlFunctionConfig; endpointUrl: string; now?: () => number }): StepInvoker {
  const { config } = deps;
  return {
    async invoke(event, context) {
      const body = JSON.stringify(event);
      const timestamp = Math.floor((deps.now ?? Date.now)() / 1000);
      let response: Response;
      try {
        response = await fetch(config.url, {
          method: 'POST',
          body,
          signal: context.signal,
          headers: {
            'content-type': 'application/json',
            'x-rotor-signature': signRotationCall(config.signingKey, timestamp, body),
            'x-rotor-endpoint': deps.endpointUrl,
            'x-rotor-access-key-id': context.credentials.accessKeyId,
            'x-rotor-secret-access-key': context.credentials.secretAccessKey,
            'x-rotor-session-token': context.credentials.sessionToken,
          },
        });
      } catch (error) {
        if (context.signal.aborted) throw error;
        throw new RotationStepError(`${event.Step}: the function endpoint did not answer (${(error as Error).message}).`);
      }
      const text = (await response.text().catch(() => '')).slice(0, 300);
      if (response.ok) return;
      const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
      throw new RotationStepError(`${event.Step}: the function answered HTTP ${response.status}${text ? `: ${text}` : ''}`, {
        retryable,
        retryAfterMs: retryAfterMs(response.headers.get('retry-after')),
      });
    },
  };
}
