import type { ErrorCode } from '../../domain/errors.js';

/**
 * How each AppError code looks on the AWS wire: the `__type` the SDKs turn into an
 * exception class, and the HTTP status. AWS answers every Secrets Manager error,
 * ResourceNotFoundException included, with 400 (reference §1).
 */
export const awsErrorTable: Record<ErrorCode, { readonly type: string; readonly status: number }> = {
  RESOURCE_NOT_FOUND: { type: 'ResourceNotFoundException', status: 400 },
  RESOURCE_EXISTS: { type: 'ResourceExistsException', status: 400 },
  INVALID_REQUEST: { type: 'InvalidRequestException', status: 400 },
  INVALID_PARAMETER: { type: 'InvalidParameterException', status: 400 },
  VALIDATION: { type: 'ValidationException', status: 400 },
  LIMIT_EXCEEDED: { type: 'LimitExceededException', status: 400 },
  MALFORMED_POLICY_DOCUMENT: { type: 'MalformedPolicyDocumentException', status: 400 },
  PUBLIC_POLICY: { type: 'PublicPolicyException', status: 400 },
  INVALID_NEXT_TOKEN: { type: 'InvalidNextTokenException', status: 400 },
  PRECONDITION_NOT_MET: { type: 'PreconditionNotMetException', status: 400 },
  DECRYPTION_FAILURE: { type: 'DecryptionFailure', status: 400 },
  ENCRYPTION_FAILURE: { type: 'EncryptionFailure', status: 400 },
  ACCESS_DENIED: { type: 'AccessDeniedException', status: 400 },
  SERIALIZATION: { type: 'SerializationException', status: 400 },
  UNKNOWN_OPERATION: { type: 'UnknownOperationException', status: 400 },
  // Operations a later release delivers answer as AWS answers a request it will not do.
  NOT_SUPPORTED: { type: 'InvalidRequestException', status: 400 },
  REAUTHORIZATION_REQUIRED: { type: 'InvalidRequestException', status: 400 },
  PROVIDER_UNAVAILABLE: { type: 'InvalidRequestException', status: 400 },
  MISSING_AUTHENTICATION_TOKEN: { type: 'MissingAuthenticationTokenException', status: 400 },
  INCOMPLETE_SIGNATURE: { type: 'IncompleteSignatureException', status: 400 },
  INVALID_SIGNATURE: { type: 'InvalidSignatureException', status: 400 },
  UNRECOGNIZED_CLIENT: { type: 'UnrecognizedClientException', status: 400 },
  PAYLOAD_TOO_LARGE: { type: 'RequestEntityTooLargeException', status: 413 },
  INTERNAL: { type: 'InternalServiceError', status: 500 },
};

export function awsErrorType(code: ErrorCode): string {
  return awsErrorTable[code].type;
}
