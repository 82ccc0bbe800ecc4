/**
 * Keys whose values never reach a log line: credentials, tokens and second-factor codes as the
 * API names them (request bodies, token responses), and the headers that carry them. Paths are
 * exact (top level, and under the holders where such values travel): pino's wildcard paths
 * cost tens of microseconds per line, which the access log on the hot path cannot afford.
 */
const SECRET_KEYS = [
  'password',
  'currentPassword',
  'newPassword',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'mfaToken',
  'csrfToken',
  'secret',
  'otpauthUri',
  'recoveryCodes',
  'recoveryCode',
  'totp',
] as const;
const SECRET_KEY_HOLDERS = ['', 'body.', 'req.body.', 'tokens.'] as const;

/** In a body, `code` is a second-factor or OAuth code; elsewhere it is an error code. */
const CODE_HOLDERS = ['body.', 'req.body.'] as const;

const SECRET_HEADERS = ['authorization', 'cookie', 'set-cookie', 'x-csrf-token'] as const;
const HEADER_HOLDERS = ['headers', 'req.headers', 'res.headers'] as const;

export const REDACTED = '[redacted]';

export function redactPaths(): string[] {
  return [
    ...SECRET_KEY_HOLDERS.flatMap((holder) => SECRET_KEYS.map((key) => `${holder}${key}`)),
    ...CODE_HOLDERS.map((holder) => `${holder}code`),
    ...HEADER_HOLDERS.flatMap((holder) => SECRET_HEADERS.map((name) => `${holder}["${name}"]`)),
  ];
}
