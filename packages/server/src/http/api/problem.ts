import type { ServerResponse } from 'node:http';
import type { AppError, ErrorCode } from '../../domain/errors.js';

/**
 * How AppError codes look on Rotor's own API: RFC 9457 problem details
 * (`application/problem+json`) with the HTTP status a REST client expects, through one
 * table. Unlike the AWS edge (every error 400), statuses carry meaning here: 404 for a
 * missing secret, 401 for a missing or unknown credential, 403 for a bad signature.
 */
export interface ProblemKind {
  readonly status: number;
  readonly title: string;
}

export const problemTable: Record<ErrorCode, ProblemKind> = {
  RESOURCE_NOT_FOUND: { status: 404, title: 'Resource not found' },
  RESOURCE_EXISTS: { status: 409, title: 'Resource exists' },
  INVALID_REQUEST: { status: 400, title: 'Invalid request' },
  INVALID_PARAMETER: { status: 400, title: 'Invalid parameter' },
  VALIDATION: { status: 400, title: 'Validation failed' },
  LIMIT_EXCEEDED: { status: 400, title: 'Limit exceeded' },
  MALFORMED_POLICY_DOCUMENT: { status: 400, title: 'Malformed policy document' },
  PUBLIC_POLICY: { status: 400, title: 'Public policy' },
  INVALID_NEXT_TOKEN: { status: 400, title: 'Invalid next token' },
  PRECONDITION_NOT_MET: { status: 400, title: 'Precondition not met' },
  DECRYPTION_FAILURE: { status: 500, title: 'Decryption failure' },
  ENCRYPTION_FAILURE: { status: 500, title: 'Encryption failure' },
  ACCESS_DENIED: { status: 403, title: 'Access denied' },
  SERIALIZATION: { status: 400, title: 'Malformed JSON' },
  UNKNOWN_OPERATION: { status: 404, title: 'No such route' },
  NOT_SUPPORTED: { status: 501, title: 'Not supported' },
  REAUTHORIZATION_REQUIRED: { status: 409, title: 'Reauthorization required' },
  PROVIDER_UNAVAILABLE: { status: 503, title: 'Provider unavailable' },
  MISSING_AUTHENTICATION_TOKEN: { status: 401, title: 'Missing authentication' },
  INCOMPLETE_SIGNATURE: { status: 401, title: 'Incomplete signature' },
  INVALID_SIGNATURE: { status: 403, title: 'Invalid signature' },
  UNRECOGNIZED_CLIENT: { status: 401, title: 'Unrecognized client' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  INTERNAL: { status: 500, title: 'Internal error' },
};

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: ErrorCode;
}

/**
 * What a caller may read of an error: its message, except for Rotor's own server-side
 * failures (their message may come from a driver). A provider's outage is worth explaining.
 */
export function publicMessage(error: AppError): string {
  return problemTable[error.code].status >= 500 && error.code !== 'PROVIDER_UNAVAILABLE' ? 'An error occurred on the server side.' : error.message;
}

/** The problem document for an error; a server-side failure never shows its own message. */
export function toProblem(error: AppError): Problem {
  const { status, title } = problemTable[error.code];
  return {
    type: `urn:rotor:problem:${error.code.toLowerCase().replaceAll('_', '-')}`,
    title,
    status,
    detail: publicMessage(error),
    code: error.code,
  };
}

export function sendProblem(response: ServerResponse, problem: Problem, requestId: string): void {
  const body = JSON.stringify(problem);
  response.writeHead(problem.status, {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
    'x-rotor-request-id': requestId,
    ...(problem.status === 401 ? { 'www-authenticate': 'AWS4-HMAC-SHA256' } : {}),
    ...(problem.status === 503 ? { 'retry-after': '5' } : {}),
  });
  response.end(body);
}
