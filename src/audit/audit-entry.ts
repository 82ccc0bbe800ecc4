import type { AnyLifecycleEvent } from '../events/event-catalog';
import type { AuditOutcome } from './audit-record.entity';

/** What one audit record says: who, what, when, from where, with what outcome and why. */
export interface AuditEntry {
  eventId: string;
  type: string;
  occurredAt: Date;
  userId: string | null;
  actorId: string | null;
  sessionId: string | null;
  deviceId: string | null;
  ip: string | null;
  userAgent: string | null;
  outcome: AuditOutcome;
  reason: string | null;
  data: Record<string, unknown>;
}

/** Events that record a refused or failed attempt rather than a completed change. */
const FAILURES = new Set<string>([
  'auth.login.failed',
  'auth.password_change_failed',
  'security.denied',
  'session.reuse_detected',
  'session.hijack_suspected',
]);

/**
 * Keys that could carry a secret. The catalog has none today; this is the backstop that keeps a
 * future careless `data` field (a token, a password) out of a permanent record.
 */
const SECRET_KEY =
  /password|secret|passphrase|^token$|accesstoken|refreshtoken|csrf|hash$|cookie|authorization/i;

export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([key]) => !SECRET_KEY.test(key))
    .map(([key, v]) => [key, redactSecrets(v)]);
  return Object.fromEntries(entries);
}

function stringField(data: Record<string, unknown>, key: string): string | null {
  const value = data[key];
  return typeof value === 'string' ? value.slice(0, 64) : null;
}

/** Maps a published lifecycle event to its audit entry. */
export function entryFromEvent(event: AnyLifecycleEvent): AuditEntry {
  const data = redactSecrets(event.data ?? {}) as Record<string, unknown>;
  return {
    eventId: event.id,
    type: event.type,
    occurredAt: new Date(event.occurredAt),
    userId: event.userId ?? null,
    actorId: stringField(data, 'actorId'),
    sessionId: event.sessionId ?? null,
    deviceId: event.deviceId ?? null,
    ip: event.ip?.slice(0, 45) ?? null,
    userAgent: event.userAgent?.slice(0, 512) ?? null,
    outcome: FAILURES.has(event.type) ? 'failure' : 'success',
    reason: stringField(data, 'reason') ?? stringField(data, 'signal'),
    data,
  };
}
