import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { Clock } from '../../src/ports/clock.js';

/** Shared helpers of the AWS compatibility suite (test/aws-api). */

export const dayMs = 86_400_000;
export const hourMs = 3_600_000;

/** A secret name no other test uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A ClientRequestToken / VersionId (36 characters, inside the 32–64 bounds). */
export function token(): string {
  return randomUUID();
}

interface SdkError {
  readonly name: string;
  readonly message: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

/**
 * Awaits a call that must fail and checks the SDK exception: its class name (the wire
 * `__type`), its message (the wire `Message`) when given, and HTTP 400.
 */
export async function expectAwsError(call: Promise<unknown>, name: string, message?: string | RegExp): Promise<SdkError> {
  let caught: unknown;
  try {
    await call;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected ${name}, but the call succeeded`).toBeDefined();
  const error = caught as SdkError;
  expect(error.name).toBe(name);
  if (typeof message === 'string') expect(error.message).toBe(message);
  else if (message instanceof RegExp) expect(error.message).toMatch(message);
  expect(error.$metadata?.httpStatusCode).toBe(400);
  return error;
}

/**
 * A clock the test moves by hand. It keeps ticking with real time between moves, so
 * consecutive writes still get increasing timestamps.
 */
export class ManualClock implements Clock {
  #offset: number;

  constructor(start: number = Date.now()) {
    this.#offset = start - Date.now();
  }

  now(): number {
    return Date.now() + this.#offset;
  }

  advance(ms: number): void {
    this.#offset += ms;
  }

  /** Milliseconds between this clock and the machine's. */
  get offset(): number {
    return this.#offset;
  }
}

/**
 * Makes the SDK sign with the server's (manual) clock: SigV4 refuses requests more than
 * 15 minutes off. The SDK also re-samples its offset from each response's Date header,
 * so the offset is set again before every request is signed.
 */
export function signWithClock(client: SecretsManagerClient, clock: ManualClock): void {
  const config = client.config as { systemClockOffset: number };
  client.middlewareStack.add(
    (next) => (args) => {
      config.systemClockOffset = clock.offset;
      return next(args);
    },
    { step: 'build', name: 'rotorTestClock' },
  );
}

export const invalidNameMessage =
  'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!';
export const notFoundMessage = "Secrets Manager can't find the specified secret.";
export const markedForDeletionMessage = "You can't perform this operation on the secret because it was marked for deletion.";
export const tokenInUseMessage = (requestToken: string, arn: string) =>
  `You can't use ClientRequestToken ${requestToken} because that value is already in use for a version of secret ${arn}.`;
