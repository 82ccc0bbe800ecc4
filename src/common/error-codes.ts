/** The stable error codes of the REST contract, with their HTTP status. */
export const ERROR_STATUS = {
  validation_failed: 400,
  invalid_credentials: 401,
  unauthenticated: 401,
  token_invalid: 401,
  token_expired: 401,
  session_revoked: 401,
  session_expired: 401,
  refresh_token_invalid: 401,
  refresh_token_reused: 401,
  csrf_failed: 403,
  forbidden: 403,
  not_found: 404,
  email_taken: 409,
  payload_too_large: 413,
  account_locked: 423,
  rate_limited: 429,
  internal_error: 500,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export const ERROR_TITLES: Record<ErrorCode, string> = {
  validation_failed: 'The request is not valid',
  invalid_credentials: 'Invalid email or password',
  unauthenticated: 'Authentication required',
  token_invalid: 'The access token is not valid',
  token_expired: 'The access token has expired',
  session_revoked: 'The session has been revoked',
  session_expired: 'The session has expired',
  refresh_token_invalid: 'The refresh token is not valid',
  refresh_token_reused: 'The refresh token was already used',
  csrf_failed: 'CSRF token missing or invalid',
  forbidden: 'Not allowed',
  not_found: 'Not found',
  email_taken: 'The email address is already registered',
  payload_too_large: 'The request body is too large',
  account_locked: 'The account is locked',
  rate_limited: 'Too many requests',
  internal_error: 'Internal error',
  service_unavailable: 'The service is temporarily unavailable',
};
