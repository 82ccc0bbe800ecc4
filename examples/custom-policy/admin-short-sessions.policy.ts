import { SessionPolicy, type SessionTimeouts } from '../../src/sessions/session-policy';

const HOUR_MS = 3_600_000;

/**
 * Administrators get short sessions (1 h idle and absolute) and at most 2 at a time; everyone
 * else keeps the policy this one wraps (usually `ConfiguredSessionPolicy`, the SESSION_* settings).
 */
export class AdminShortSessions extends SessionPolicy {
  constructor(private readonly base: SessionPolicy) {
    super();
  }

  timeoutsFor(input: { rememberMe: boolean; roles: readonly string[] }): SessionTimeouts {
    const timeouts = this.base.timeoutsFor(input);
    if (!input.roles.includes('admin')) return timeouts;
    return {
      idleTimeoutMs: Math.min(timeouts.idleTimeoutMs, HOUR_MS),
      absoluteTimeoutMs: Math.min(timeouts.absoluteTimeoutMs, HOUR_MS),
    };
  }

  maxActiveSessions(input: { roles: readonly string[] }): number {
    return input.roles.includes('admin') ? 2 : this.base.maxActiveSessions(input);
  }
}
