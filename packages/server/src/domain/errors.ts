/**
 * The one error type of Rotor. Every failure that reaches a protocol edge is an
 * AppError with a stable `code`; each edge maps codes to its wire form through a
 * table (see `http/aws-json/error-table.ts`), so the domain never knows about HTTP.
 */
export const ErrorCodes = [
  'RESOURCE_NOT_FOUND',
  'RESOURCE_EXISTS',
  'INVALID_REQUEST',
  'INVALID_PARAMETER',
  'VALIDATION',
  'LIMIT_EXCEEDED',
  'MALFORMED_POLICY_DOCUMENT',
  'PUBLIC_POLICY',
  'INVALID_NEXT_TOKEN',
  'PRECONDITION_NOT_MET',
  'DECRYPTION_FAILURE',
  'ENCRYPTION_FAILURE',
  'ACCESS_DENIED',
  'SERIALIZATION',
  'UNKNOWN_OPERATION',
  'NOT_SUPPORTED',
  /** An OAuth chain can no longer be refreshed: only a new installation helps. */
  'REAUTHORIZATION_REQUIRED',
  /** A provider did not answer in time; the rotation goes on retrying in the background. */
  'PROVIDER_UNAVAILABLE',
  'MISSING_AUTHENTICATION_TOKEN',
  'INCOMPLETE_SIGNATURE',
  'INVALID_SIGNATURE',
  'UNRECOGNIZED_CLIENT',
  'PAYLOAD_TOO_LARGE',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ErrorCodes)[number];

const brand = Symbol.for('rotor.AppError');

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly [brand] = true;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppError';
    this.code = code;
  }

  /** Recognises AppErrors by brand, not `instanceof`, so two loaded copies still agree. */
  static is(value: unknown): value is AppError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }
}

/**
 * Normalises anything thrown into an AppError. Unknown throws become INTERNAL with
 * a generic message: the original is kept only as `cause`, because driver messages
 * may carry secret material and must never reach a client.
 */
export function coerceError(thrown: unknown): AppError {
  if (AppError.is(thrown)) return thrown;
  return new AppError('INTERNAL', 'An error occurred on the server side.', { cause: thrown });
}

/** The AWS messages that more than one use case raises, kept word for word. */
export const Messages = {
  secretNotFound: "Secrets Manager can't find the specified secret.",
  markedForDeletion: "You can't perform this operation on the secret because it was marked for deletion.",
  missingToken: 'You must provide a ClientRequestToken value. We recommend a UUID-type value.',
  missingValue: 'You must provide either SecretString or SecretBinary.',
  bothValues: 'You can\'t specify both SecretString and SecretBinary. Specify only one.',
  invalidName:
    'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
  tokenInUse: (token: string, arn: string) =>
    `You can't use ClientRequestToken ${token} because that value is already in use for a version of secret ${arn}.`,
  valueNotFoundForStage: (stage: string) =>
    `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
  valueNotFoundForVersion: (versionId: string) =>
    `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`,
} as const;

/**
 * The ValidationException text AWS's request validation produces, listing every
 * problem at once: "2 validation errors detected: Value … ; Value …".
 */
export function validationError(problems: readonly string[]): AppError {
  const count = problems.length === 1 ? '1 validation error' : `${problems.length} validation errors`;
  return new AppError('VALIDATION', `${count} detected: ${problems.join('; ')}`);
}
