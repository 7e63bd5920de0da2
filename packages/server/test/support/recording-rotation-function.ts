import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { Agent, createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorName, replicaClient, serverAnswered } from './replica-cluster.js';

/**
 * A URL rotation function for replica tests: it does the AWS template's four steps
 * through the SDK with the short-lived keys Rotor sends, and records every call it gets
 * and every PutSecretValue it makes in createSecret, so a test can tell which run (access
 * key id) did what, in which order, and which createSecret actually stored the value.
 */

export interface StepCall {
  /** Arrival order at the function. */
  readonly seq: number;
  readonly secretArn: string;
  readonly versionId: string;
  readonly step: string;
  /** Identifies the rotation run: Rotor issues one short-lived key per claim. */
  readonly accessKeyId: string;
  /** The replica that called (its own URL travels as x-rotor-endpoint). */
  readonly endpoint: string;
  readonly startedAt: number;
  endedAt?: number;
  status?: number;
  answer?: string;
}

export interface CreateAttempt {
  readonly secretArn: string;
  readonly versionId: string;
  readonly value: string;
  readonly accessKeyId: string;
  /**
   * stored: Rotor acknowledged it; refused: Rotor answered with an error; unknown: the
   * call timed out or the connection broke, so it may or may not have been applied.
   */
  outcome: 'sent' | 'stored' | 'refused' | 'unknown';
  error?: string;
}

export interface StepEvent {
  readonly Step: string;
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  readonly RotationToken: string;
}

export interface StepContext {
  readonly call: StepCall;
  readonly event: StepEvent;
  /** A client for the calling replica with the keys it sent. */
  readonly client: SecretsManagerClient;
}

export interface RecordingFunctionOptions {
  /**
   * Runs before the template step; returning `'handled'` skips the template (the call is
   * answered 200), throwing answers 500 with the message.
   */
  readonly beforeStep?: (context: StepContext) => Promise<'continue' | 'handled'>;
  /** Callback timeout: a paused replica never answers. @default 10_000 */
  readonly requestTimeoutMs?: number;
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}

export class RecordingRotationFunction {
  readonly calls: StepCall[] = [];
  readonly creates: CreateAttempt[] = [];
  badSignatures = 0;
  signingKey = '';
  readonly #server: Server;
  // One socket pool for every callback client (a client per run would hold its own).
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 256 });
  readonly #options: RecordingFunctionOptions;

  constructor(options: RecordingFunctionOptions = {}) {
    this.#options = options;
    this.#server = createServer((request, response) => {
      void this.#handle(request).then(
        ({ status, body }) => {
          if (!response.destroyed) response.writeHead(status).end(body);
        },
        () => {
          if (!response.destroyed) response.writeHead(500).end('function crashed');
        },
      );
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/rotate`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#agent.destroy();
  }

  #signatureValid(header: string, body: string): boolean {
    const [, timestamp, mac] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header) ?? [];
    if (!timestamp || !mac || !this.signingKey) return false;
    const expected = createHmac('sha256', Buffer.from(this.signingKey, 'base64')).update(`${timestamp}.${body}`).digest();
    return timingSafeEqual(expected, Buffer.from(mac, 'hex'));
  }

  async #handle(request: IncomingMessage): Promise<{ status: number; body: string }> {
    const body = await readBody(request);
    if (!this.#signatureValid(String(request.headers['x-rotor-signature'] ?? ''), body)) {
      this.badSignatures += 1;
      return { status: 401, body: 'bad signature' };
    }
    const event = JSON.parse(body) as StepEvent;
    const call: StepCall = {
      seq: this.calls.length,
      secretArn: event.SecretId,
      versionId: event.ClientRequestToken,
      step: event.Step,
      accessKeyId: String(request.headers['x-rotor-access-key-id']),
      endpoint: String(request.headers['x-rotor-endpoint']),
      startedAt: Date.now(),
    };
    this.calls.push(call);
    const client = replicaClient(
      call.endpoint,
      {
        accessKeyId: call.accessKeyId,
        secretAccessKey: String(request.headers['x-rotor-secret-access-key']),
        sessionToken: String(request.headers['x-rotor-session-token']),
      },
      { agent: this.#agent, requestTimeoutMs: this.#options.requestTimeoutMs ?? 10_000 },
    );
    try {
      const decision = (await this.#options.beforeStep?.({ call, event, client })) ?? 'continue';
      if (decision === 'continue') call.answer = await this.#templateStep(client, call);
      call.status = 200;
    } catch (error) {
      call.status = 500;
      call.answer = `${errorName(error)}: ${(error as Error).message}`;
    }
    call.endedAt = Date.now();
    // Never destroyed: that would destroy the shared agent (see replicaClient).
    return { status: call.status, body: call.answer ?? 'ok' };
  }

  /** The AWS rotation template (Python `lambda_function.py`), step by step. */
  async #templateStep(client: SecretsManagerClient, call: StepCall): Promise<string> {
    const { secretArn: arn, versionId: token, step } = call;
    const described = await client.send(new DescribeSecretCommand({ SecretId: arn }));
    const stages = described.VersionIdsToStages ?? {};
    const own = stages[token];
    // The template's guards: an unknown version is an error; a version already current
    // means this step has nothing left to do; otherwise it must be the pending one.
    if (!own) throw new Error(`version ${token} has no stage`);
    if (own.includes('AWSCURRENT')) return 'already AWSCURRENT';
    if (!own.includes('AWSPENDING')) throw new Error(`version ${token} is not AWSPENDING`);
    if (step === 'createSecret') {
      try {
        await client.send(new GetSecretValueCommand({ SecretId: arn, VersionId: token, VersionStage: 'AWSPENDING' }));
        return 'pending value already there';
      } catch (error) {
        if (errorName(error) !== 'ResourceNotFoundException') throw error;
      }
      const attempt: CreateAttempt = { secretArn: arn, versionId: token, value: randomUUID(), accessKeyId: call.accessKeyId, outcome: 'sent' };
      this.creates.push(attempt);
      try {
        await client.send(new PutSecretValueCommand({ SecretId: arn, ClientRequestToken: token, SecretString: attempt.value, VersionStages: ['AWSPENDING'] }));
        attempt.outcome = 'stored';
        return 'stored the pending value';
      } catch (error) {
        attempt.outcome = serverAnswered(error) ? 'refused' : 'unknown';
        attempt.error = errorName(error);
        throw error;
      }
    }
    if (step === 'setSecret' || step === 'testSecret') {
      // Stands in for "set the password in the database" and "log in with it".
      const pending = await client.send(new GetSecretValueCommand({ SecretId: arn, VersionId: token, VersionStage: 'AWSPENDING' }));
      if (!pending.SecretString) throw new Error(`version ${token} has no value`);
      return `${step} done`;
    }
    if (step === 'finishSecret') {
      const current = Object.entries(stages).find(([, labels]) => labels.includes('AWSCURRENT'))?.[0];
      await client.send(new UpdateSecretVersionStageCommand({ SecretId: arn, VersionStage: 'AWSCURRENT', MoveToVersionId: token, RemoveFromVersionId: current }));
      return 'moved AWSCURRENT';
    }
    throw new Error(`unknown step ${step}`);
  }
}
