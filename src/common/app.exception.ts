import type { ErrorCode } from './error-codes';

export interface FieldError {
  field: string;
  messages: string[];
}

/**
 * A domain error carrying a contract code. Services throw these (never HttpException) so the
 * CLI can reuse them; ProblemDetailsFilter maps them to problem+json in one place.
 */
export class AppException extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    readonly extras: {
      errors?: FieldError[];
      retryAfterSeconds?: number;
      headers?: Record<string, string>;
      /** On OAuth endpoints: the RFC 6749 §5.2 error, answered with status 400. */
      rfc6749Error?:
        | 'invalid_grant'
        | 'invalid_request'
        | 'invalid_scope'
        | 'unsupported_grant_type'
        | 'invalid_dpop_proof'
        | 'use_dpop_nonce';
      /** RFC 9457 extension members added to the problem body (e.g. mfa_required's mfaToken). */
      members?: Record<string, unknown>;
    } = {},
  ) {
    super(detail ?? code);
    this.name = 'AppException';
  }
}
