export {
  RotorClient,
  type CallWithRefreshOptions,
  type GetSecretValueOptions,
  type GetValidTokenOptions,
  type RotorClientOptions,
  type SecretValue,
  type TokenChain,
  type ValidToken,
} from './rotor-client.js';
export {
  ClientErrorCode,
  ReauthorizationRequiredError,
  RotorError,
  isReauthorizationRequiredError,
  isRotorError,
  type RotorErrorOptions,
} from './errors.js';
export { isExpiredCredentialError, slackExpiredTokenErrors } from './expired-credential.js';
export type { SecretChange } from './event-subscription.js';
export type { InstallationInfo } from './installation-info.js';
export { slackAuthorize, type SlackAuthorizeOptions, type SlackAuthorizeQuery, type SlackAuthorizeResult } from './slack-authorize.js';
export type { Credentials } from './sigv4.js';
export type { Clock, FetchFunction } from './transport.js';
