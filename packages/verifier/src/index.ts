export { createVerifier } from './verifier';
export type {
  IntrospectionOptions,
  RevocationOptions,
  TesseraClaims,
  Verifier,
  VerifierOptions,
} from './verifier';
export { VerifierError, isVerifierError, type VerifierErrorCode } from './errors';
export type { FeedState } from './revocation-feed-client';
export { bearerToken } from './bearer';
export type { CredentialSource, ServiceClientCredentials } from './service-token';
