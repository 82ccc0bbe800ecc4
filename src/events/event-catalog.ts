import type { DeniedKind } from '../common/security-denials';

/**
 * The lifecycle event catalog of the REST contract. A wrong event name or a wrong `data` shape
 * fails to compile.
 */
export type RevocationReason =
  | 'logout'
  | 'logout_all'
  | 'user'
  | 'admin'
  | 'password_change'
  | 'password_reset'
  | 'limit_evicted'
  | 'reuse_detected'
  | 'device_forgotten'
  | 'hijack_suspected';

export type ExpiryReason = 'idle' | 'absolute';

/** A second-factor method as the contract names it (`methods` of `mfa_required`). */
export type MfaMethod = 'totp' | 'webauthn' | 'recovery_code';

/** RFC 8176 authentication method reference values Tessera issues. */
export type AmrValue = 'pwd' | 'otp' | 'hwk' | 'swk' | 'user' | 'mfa';

export interface EventDataMap {
  'user.registered': { actorId?: string };
  'auth.login.succeeded': { rememberMe: boolean; newDevice: boolean };
  /** `emailMac`: a keyed hash of the normalised email (never the email), set when no account matched. */
  'auth.login.failed': {
    reason: 'invalid_credentials' | 'account_locked';
    attempts?: number;
    emailMac?: string;
  };
  /** A wrong current password on password change (counted like a failed login). */
  'auth.password_change_failed': { reason: 'invalid_current_password'; attempts: number };
  'session.created': { rememberMe: boolean; idleExpiresAt: string; expiresAt: string };
  'session.refreshed': { ipChanged: boolean; previousIp?: string; graceReplay?: boolean };
  'session.revoked': { reason: RevocationReason; actorId?: string };
  'session.expired': { reason: ExpiryReason };
  'session.reuse_detected': { tokenGeneration: number };
  'session.hijack_suspected': { signal: 'device_mismatch' | 'user_agent_mismatch' };
  'session.ip_changed': { previousIp: string };
  'device.new': { name: string; platform?: string };
  'device.trusted': Record<string, never>;
  'device.untrusted': Record<string, never>;
  'device.renamed': { name: string };
  'device.forgotten': { revokedSessions: number };
  'user.locked': { reason: 'failed_logins' | 'admin'; until?: string; actorId?: string };
  'user.unlocked': { reason: 'admin' | 'expired'; actorId?: string };
  'user.roles_changed': { roles: string[]; actorId?: string };
  'password.changed': Record<string, never>;
  /** `emailMac` (keyed hash, never the email) when no account matched: recorded all the same. */
  'password.reset_requested': { emailMac?: string; actorId?: string };
  'password.reset': Record<string, never>;
  'alert.raised': { alertId: string; rule: string; severity: string };
  // v2 second factors. By design no member can hold a secret, a code or a recovery code: only
  // which method, counts, and public identifiers (a WebAuthn credential id is public).
  'mfa.enrolled': { method: 'totp' | 'recovery_code'; recoveryCodes: number };
  'mfa.disabled': { method: 'totp' | 'all'; actorId?: string };
  'mfa.challenge_failed': {
    method: MfaMethod;
    reason: 'invalid_code' | 'replayed_code' | 'no_factor' | 'assertion_refused';
  };
  'mfa.recovery_code_used': { remaining: number };
  'passkey.added': {
    credentialId: string;
    name: string;
    deviceType: 'singleDevice' | 'multiDevice';
    backedUp: boolean;
  };
  'passkey.removed': { credentialId: string; name: string; actorId?: string };
  'auth.step_up': { method: 'password' | MfaMethod; amr: AmrValue[] };
  /**
   * Refused requests of one kind from one client network within one minute, aggregated (one
   * event per key per minute per instance, never one per request). No user: the key is where.
   */
  'security.denied': {
    kind: DeniedKind;
    network: string;
    count: number;
    windowStart: string;
  };
  // v2 alerting administration (issue 10). Never the webhook's signing secret.
  'webhook.created': { webhookId: string; url: string; minSeverity: string; actorId: string };
  'webhook.deleted': { webhookId: string; actorId: string };
  'alert.status_changed': { alertId: string; from: string; to: string; actorId: string };
  /** A new access-token signing key (issue 14): published now, signing from `signFrom`. */
  'keys.rotated': {
    kid: string;
    alg: string;
    signFrom: string;
    retiredKids: string[];
    actorId: string;
  };
  /**
   * Retired signing keys deleted by the housekeeping job, once nothing they signed can verify
   * (retired before `retiredBefore`). No actor: the system did it.
   */
  'keys.purged': { kids: string[]; retiredBefore: string };
  /** A service client registered (issue 14). Never its secret nor its secret's hash. */
  'service_client.created': {
    clientId: string;
    name: string;
    scopes: string[];
    authMethod: string;
    actorId: string;
  };
  'service_client.deleted': { clientId: string; actorId: string };
  /**
   * A Shared Signals receiver's stream changed (issue 14), by the service client `clientId`.
   * Never the push `authorization_header`.
   */
  'ssf.stream_created': {
    streamId: string;
    clientId: string;
    deliveryMethod: string;
    endpointUrl: string | null;
    eventsRequested: string[];
  };
  'ssf.stream_updated': {
    streamId: string;
    clientId: string;
    deliveryMethod: string;
    endpointUrl: string | null;
    eventsRequested: string[];
  };
  'ssf.stream_deleted': { streamId: string; clientId: string };
  'ssf.stream_status_changed': { streamId: string; clientId: string; status: string };
  /** `subject`: the user id the receiver added back to or removed from the stream. */
  'ssf.subject_changed': {
    streamId: string;
    clientId: string;
    change: 'add' | 'remove';
    subject: string;
  };
}

export type EventType = keyof EventDataMap;

export interface EventContext {
  /** Absent only for security events about no known account (a failed login for an unknown email). */
  userId?: string;
  sessionId?: string;
  deviceId?: string;
  ip?: string;
  userAgent?: string;
}

/** The published shape of every event, as listeners and audit records see it. */
export interface LifecycleEvent<T extends EventType = EventType> extends EventContext {
  id: string;
  type: T;
  occurredAt: string;
  data: EventDataMap[T];
}

export type AnyLifecycleEvent = { [T in EventType]: LifecycleEvent<T> }[EventType];
