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
}
