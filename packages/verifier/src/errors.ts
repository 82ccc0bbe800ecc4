/** Why a token was refused; stable, so callers can branch on it. */
export type VerifierErrorCode =
  | 'unauthenticated'
  | 'token_expired'
  | 'invalid_token'
  | 'session_revoked'
  | 'revocation_feed_stale';

const MESSAGES: Record<VerifierErrorCode, string> = {
  unauthenticated: 'An access token is required',
  token_expired: 'The access token has expired',
  invalid_token: 'The access token is not valid',
  session_revoked: 'The session of this access token has ended',
  revocation_feed_stale: 'Revocations cannot be checked right now',
};

export class VerifierError extends Error {
  override readonly name = 'VerifierError';

  constructor(
    readonly code: VerifierErrorCode,
    message: string = MESSAGES[code],
  ) {
    super(message);
  }

  /**
   * The HTTP status to answer: a stale feed is this service's problem, not the caller's token
   * (503, retry later); everything else is a 401.
   */
  get status(): 401 | 503 {
    return this.code === 'revocation_feed_stale' ? 503 : 401;
  }

  /** RFC 9457 problem details in Tessera's style (`code` is the stable member). */
  toProblem(): { type: string; title: string; status: number; code: VerifierErrorCode } {
    return {
      type: `urn:tessera:problem:${this.code}`,
      title: MESSAGES[this.code],
      status: this.status,
      code: this.code,
    };
  }
}

export function isVerifierError(error: unknown): error is VerifierError {
  return error instanceof VerifierError;
}
