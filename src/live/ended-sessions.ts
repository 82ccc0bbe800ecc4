/**
 * Which sessions ended recently (revoked or expired), answered from memory. Declared here and
 * implemented by the sessions module, so live imports no feature module.
 */
export abstract class EndedSessions {
  abstract statusOf(sessionId: string): 'revoked' | 'expired' | undefined;
}
