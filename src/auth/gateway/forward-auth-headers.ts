import type { AuthContext } from '../../common/auth-context';

/** The identity headers a gateway copies onto the request it forwards upstream. */
export const FORWARD_AUTH_HEADERS = {
  userId: 'X-Auth-User-Id',
  sessionId: 'X-Auth-Session-Id',
  roles: 'X-Auth-Roles',
} as const;

/** On a refusal: the problem's contract code, which a gateway cannot read from the body. */
export const FORWARD_AUTH_ERROR_HEADER = 'X-Auth-Error';

/** Roles are role names ([a-z_]); a comma list keeps the header one line for every proxy. */
export function forwardAuthHeaders(auth: AuthContext): Record<string, string> {
  return {
    [FORWARD_AUTH_HEADERS.userId]: auth.userId,
    [FORWARD_AUTH_HEADERS.sessionId]: auth.sessionId,
    [FORWARD_AUTH_HEADERS.roles]: auth.roles.join(','),
  };
}
