import type {
  AnyLifecycleEvent,
  EventType,
  LifecycleEvent,
  RevocationReason,
} from '../events/event-catalog';

/** CAEP 1.0 and SSF 1.0 event type URIs this transmitter emits. */
export const SESSION_REVOKED =
  'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
export const CREDENTIAL_CHANGE =
  'https://schemas.openid.net/secevent/caep/event-type/credential-change';
export const VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';

/** What a receiver may request (`events_supported`); verification is always delivered. */
export const SUPPORTED_EVENTS: readonly string[] = [SESSION_REVOKED, CREDENTIAL_CHANGE];

/** CAEP 1.0 §2.1 `initiating_entity`. */
export type InitiatingEntity = 'admin' | 'user' | 'policy' | 'system';

/** CAEP 1.0 §3.2 `credential_type` values Tessera has (authenticator app, passkeys, password). */
export type CredentialType = 'password' | 'app' | 'fido2-platform' | 'fido2-roaming';
export type ChangeType = 'create' | 'revoke' | 'update' | 'delete';

/** SSF 1.0 subject identifiers (RFC 9493 formats) used here. */
export type SubjectId =
  | { format: 'iss_sub'; iss: string; sub: string }
  | { format: 'opaque'; id: string }
  | {
      format: 'complex';
      user: { format: 'iss_sub'; iss: string; sub: string };
      session: { format: 'opaque'; id: string };
    };

/** One SET's subject and its single event, before stream-specific claims are added. */
export interface SecurityEvent {
  eventType: string;
  subId: SubjectId;
  payload: Record<string, unknown>;
}

/** Who ended the session, by the catalog's revocation reason. */
const REVOCATION_INITIATOR: Record<RevocationReason, InitiatingEntity> = {
  logout: 'user',
  logout_all: 'user',
  user: 'user',
  device_forgotten: 'user',
  password_change: 'user',
  password_reset: 'user',
  admin: 'admin',
  limit_evicted: 'policy',
  reuse_detected: 'system',
  hijack_suspected: 'system',
};

/** `reason_admin` (CAEP 1.0 §2.1): for the receiver's administrators, by language tag. */
const REVOCATION_TEXT: Record<RevocationReason, string> = {
  logout: 'The user signed out',
  logout_all: 'The user signed out everywhere',
  user: 'The user ended the session',
  device_forgotten: 'The user removed the device',
  password_change: 'The password was changed',
  password_reset: 'The password was reset',
  admin: 'An administrator revoked the session',
  limit_evicted: 'The session limit evicted the least recently used session',
  reuse_detected: 'A used refresh token was presented again (suspected theft)',
  hijack_suspected: 'The session was used from an unexpected device (suspected hijacking)',
};

const seconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

const user = (iss: string, sub: string): { format: 'iss_sub'; iss: string; sub: string } => ({
  format: 'iss_sub',
  iss,
  sub,
});

/** Admin when someone else acted on the user's account, else the user. */
const actor = (userId: string, actorId: string | undefined): InitiatingEntity =>
  actorId && actorId !== userId ? 'admin' : 'user';

type Mapper<T extends EventType> = (
  event: LifecycleEvent<T> & { userId: string },
  iss: string,
) => SecurityEvent | undefined;

function credentialChange(
  event: LifecycleEvent & { userId: string },
  iss: string,
  change: {
    credential_type: CredentialType;
    change_type: ChangeType;
    initiating_entity: InitiatingEntity;
    friendly_name?: string;
  },
): SecurityEvent {
  return {
    eventType: CREDENTIAL_CHANGE,
    subId: user(iss, event.userId),
    payload: { event_timestamp: seconds(event.occurredAt), ...change },
  };
}

const passwordUpdate: Mapper<'password.changed' | 'password.reset'> = (event, iss) =>
  credentialChange(event, iss, {
    credential_type: 'password',
    change_type: 'update',
    initiating_entity: 'user',
  });

/** The lifecycle events receivers get, and how each becomes a CAEP event. */
const MAPPERS: { [T in EventType]?: Mapper<T> } = {
  'session.revoked': (event, iss) => {
    if (!event.sessionId) return undefined;
    const { reason } = event.data;
    return {
      eventType: SESSION_REVOKED,
      subId: {
        format: 'complex',
        user: user(iss, event.userId),
        session: { format: 'opaque', id: event.sessionId },
      },
      payload: {
        event_timestamp: seconds(event.occurredAt),
        initiating_entity: REVOCATION_INITIATOR[reason] ?? 'system',
        reason_admin: { en: REVOCATION_TEXT[reason] ?? `Revoked (${reason})` },
      },
    };
  },
  'password.changed': passwordUpdate,
  'password.reset': passwordUpdate,
  // New recovery codes are not a credential CAEP names; the authenticator app is ("app").
  'mfa.enrolled': (event, iss) =>
    event.data.method === 'totp'
      ? credentialChange(event, iss, {
          credential_type: 'app',
          change_type: 'create',
          initiating_entity: 'user',
        })
      : undefined,
  // 'all' is an administrator's reset of every factor: reported as the app's removal.
  'mfa.disabled': (event, iss) =>
    credentialChange(event, iss, {
      credential_type: 'app',
      change_type: 'delete',
      initiating_entity: actor(event.userId, event.data.actorId),
    }),
  // A synced (multi-device) passkey lives in the platform's keychain; a single-device one is
  // most often a security key. WebAuthn says no more, so this is the closest CAEP type.
  'passkey.added': (event, iss) =>
    credentialChange(event, iss, {
      credential_type: event.data.deviceType === 'multiDevice' ? 'fido2-platform' : 'fido2-roaming',
      change_type: 'create',
      initiating_entity: 'user',
      friendly_name: event.data.name,
    }),
  // The removal event does not say which kind it was: reported as a platform passkey.
  'passkey.removed': (event, iss) =>
    credentialChange(event, iss, {
      credential_type: 'fido2-platform',
      change_type: 'delete',
      initiating_entity: actor(event.userId, event.data.actorId),
      friendly_name: event.data.name,
    }),
};

/**
 * The CAEP event a lifecycle event becomes, or undefined when it is not one receivers get.
 * `iss` is the issuer the subjects are scoped to (the SETs' own `iss`).
 */
export function securityEventFor(event: AnyLifecycleEvent, iss: string): SecurityEvent | undefined {
  const mapper = MAPPERS[event.type] as Mapper<EventType> | undefined;
  if (!mapper || !event.userId) return undefined;
  return mapper(event as LifecycleEvent & { userId: string }, iss);
}

/** The verification event (SSF 1.0 §8.1.4), about the stream itself. */
export function verificationEvent(streamId: string, state: string | undefined): SecurityEvent {
  return {
    eventType: VERIFICATION,
    subId: { format: 'opaque', id: streamId },
    payload: state === undefined ? {} : { state },
  };
}
