/**
 * What the sessions module reports to /metrics. Declared here and implemented by sessions, so
 * metrics imports no feature module (it reads owners' figures through ports).
 */
export abstract class SessionMetricsSource {
  /** Recently ended sessions held in the in-memory revocation view. */
  abstract revocationViewSize(): number;
  /** Sessions live now. */
  abstract liveSessionCount(): Promise<number>;
}
