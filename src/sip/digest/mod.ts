/**
 * SIP Digest authentication (RFC 3261 section 22, RFC 7616, RFC 8760), pure: header values in,
 * decisions out. The registrar and proxy call DigestAuthenticator.authenticate(); the users file
 * (HA1 hashes, written by `superpeer user add`) is parsed by parseUsersFile().
 *
 * @example
 * ```ts
 * import { DigestAuthenticator, parseUsersFile } from "../sip/digest/mod.ts";
 * ```
 *
 * @module
 */
export * from "./constants.ts";
export {
  type AuthHeader,
  type AuthParam,
  type DigestChallenge,
  type DigestChallengeInit,
  type DigestCredentials,
  type DigestCredentialsInit,
  digestCredentialsOf,
  formatDigestChallenge,
  formatDigestCredentials,
  parseAuthHeader,
  parseDigestChallenge,
  parseDigestCredentials,
  quoteString,
} from "./auth_header.ts";
export {
  DIGEST_ALGORITHMS,
  DIGEST_HEX_LENGTH,
  type DigestAlgorithm,
  digestAlgorithm,
  digestHa1,
  digestHash,
  digestResponse,
  type DigestResponseInput,
} from "./digest_algorithms.ts";
export {
  DigestAuthenticator,
  type DigestAuthenticatorComponents,
  type DigestAuthenticatorInit,
  type DigestAuthenticatorStats,
  type DigestBadRequestReason,
  type DigestChallengeReason,
  type DigestOutcome,
  type DigestOutcomeLabel,
  type DigestRequest,
} from "./digest_authenticator.ts";
export { AuthHeaderError, UsersFileError, type UsersFileIssue } from "./digest_errors.ts";
export {
  DIGEST_NONCE_LENGTH,
  type DigestNonceCheck,
  DigestNonces,
  type DigestNoncesComponents,
  type DigestNoncesInit,
} from "./digest_nonce.ts";
export { FailureLimiter, type FailureLimiterInit, failureSourceKey } from "./failure_limiter.ts";
export {
  NonceCountTracker,
  type NonceCountTrackerInit,
  type NonceCountVerdict,
} from "./nonce_count_tracker.ts";
export {
  formatUserLine,
  makeUserRecord,
  parseUsersFile,
  type ParseUsersFileOptions,
  removeUserLine,
  upsertUserLine,
  type UserDirectory,
  userNameProblem,
  type UserRecord,
  USERS_FILE_ALGORITHMS,
  USERS_FILE_HEADER,
  UsersTable,
} from "./users_file.ts";
