import type { AppConfig } from '../config/app-config';

export interface SessionTimeouts {
  idleTimeoutMs: number;
  absoluteTimeoutMs: number;
}

/**
 * Timeouts and limits for new sessions. An extension point: subclass it (e.g. shorter sessions
 * for admins) and pass it to SessionsModule.forRoot({ policy }).
 */
export abstract class SessionPolicy {
  abstract timeoutsFor(input: { rememberMe: boolean; roles: readonly string[] }): SessionTimeouts;
  abstract maxActiveSessions(input: { roles: readonly string[] }): number;
  /**
   * How old a session's last authentication may be on routes marked @RequireFreshAuth()
   * without a max age of their own (RFC 9470 step-up). Optional: the default is
   * STEP_UP_MAX_AGE; override it, e.g., for a shorter window for admins.
   */
  stepUpMaxAgeMs?(input: { roles: readonly string[] }): number;
}

/** The policy of the environment configuration (SESSION_* variables). */
export class ConfiguredSessionPolicy extends SessionPolicy {
  constructor(private readonly config: AppConfig) {
    super();
  }

  timeoutsFor(input: { rememberMe: boolean }): SessionTimeouts {
    const { session } = this.config;
    return {
      idleTimeoutMs: input.rememberMe ? session.rememberMeIdleTimeoutMs : session.idleTimeoutMs,
      absoluteTimeoutMs: session.absoluteTimeoutMs,
    };
  }

  maxActiveSessions(): number {
    return this.config.session.maxPerUser;
  }

  override stepUpMaxAgeMs(): number {
    return this.config.stepUpMaxAgeMs;
  }
}
