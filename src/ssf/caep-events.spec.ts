import { randomUUID } from 'node:crypto';
import type { AnyLifecycleEvent, EventDataMap, EventType } from '../events/event-catalog';
import {
  CREDENTIAL_CHANGE,
  securityEventFor,
  SESSION_REVOKED,
  VERIFICATION,
  verificationEvent,
} from './caep-events';

const ISS = 'https://auth.example.com';
const USER = '0d5c7b8e-2f4a-4c1b-9e3d-6a7b8c9d0e1f';
const SESSION = '5a4e2c1d-7b3f-4d6a-8e9c-1f2a3b4c5d6e';
const AT = '2026-11-26T18:00:00.000Z';

function event<T extends EventType>(
  type: T,
  data: EventDataMap[T],
  context: { userId?: string; sessionId?: string } = { userId: USER },
): AnyLifecycleEvent {
  return { id: randomUUID(), type, occurredAt: AT, ...context, data } as AnyLifecycleEvent;
}

describe('securityEventFor: lifecycle events as CAEP 1.0 events', () => {
  it('maps a logout to session-revoked about the user and the session (complex sub_id)', () => {
    const mapped = securityEventFor(
      event('session.revoked', { reason: 'logout' }, { userId: USER, sessionId: SESSION }),
      ISS,
    );
    expect(mapped).toEqual({
      eventType: SESSION_REVOKED,
      subId: {
        format: 'complex',
        user: { format: 'iss_sub', iss: ISS, sub: USER },
        session: { format: 'opaque', id: SESSION },
      },
      payload: {
        event_timestamp: Date.parse(AT) / 1000,
        initiating_entity: 'user',
        reason_admin: { en: 'The user signed out' },
      },
    });
  });

  it.each([
    ['logout_all', 'user'],
    ['admin', 'admin'],
    ['limit_evicted', 'policy'],
    ['reuse_detected', 'system'],
    ['password_reset', 'user'],
  ] as const)('names who ended the session: %s → %s', (reason, initiator) => {
    const mapped = securityEventFor(
      event('session.revoked', { reason }, { userId: USER, sessionId: SESSION }),
      ISS,
    );
    expect(mapped?.payload.initiating_entity).toBe(initiator);
  });

  it('maps password change and reset to credential-change (password, update), iss_sub subject', () => {
    for (const type of ['password.changed', 'password.reset'] as const) {
      expect(securityEventFor(event(type, {}), ISS)).toEqual({
        eventType: CREDENTIAL_CHANGE,
        subId: { format: 'iss_sub', iss: ISS, sub: USER },
        payload: {
          event_timestamp: Date.parse(AT) / 1000,
          credential_type: 'password',
          change_type: 'update',
          initiating_entity: 'user',
        },
      });
    }
  });

  it('maps TOTP enrolment and removal to the app credential, an admin reset to admin', () => {
    expect(
      securityEventFor(event('mfa.enrolled', { method: 'totp', recoveryCodes: 10 }), ISS)?.payload,
    ).toMatchObject({ credential_type: 'app', change_type: 'create', initiating_entity: 'user' });
    expect(securityEventFor(event('mfa.disabled', { method: 'totp' }), ISS)?.payload).toMatchObject(
      { credential_type: 'app', change_type: 'delete', initiating_entity: 'user' },
    );
    expect(
      securityEventFor(event('mfa.disabled', { method: 'all', actorId: randomUUID() }), ISS)
        ?.payload,
    ).toMatchObject({ change_type: 'delete', initiating_entity: 'admin' });
    // New recovery codes are no CAEP credential.
    expect(
      securityEventFor(event('mfa.enrolled', { method: 'recovery_code', recoveryCodes: 10 }), ISS),
    ).toBeUndefined();
  });

  it('maps passkeys to fido2 credentials with their name', () => {
    const added = securityEventFor(
      event('passkey.added', {
        credentialId: 'abc',
        name: 'YubiKey',
        deviceType: 'singleDevice',
        backedUp: false,
      }),
      ISS,
    );
    expect(added?.payload).toMatchObject({
      credential_type: 'fido2-roaming',
      change_type: 'create',
      friendly_name: 'YubiKey',
    });
    const synced = securityEventFor(
      event('passkey.added', {
        credentialId: 'abc',
        name: 'iCloud',
        deviceType: 'multiDevice',
        backedUp: true,
      }),
      ISS,
    );
    expect(synced?.payload.credential_type).toBe('fido2-platform');
    expect(
      securityEventFor(event('passkey.removed', { credentialId: 'abc', name: 'YubiKey' }), ISS)
        ?.payload,
    ).toMatchObject({ change_type: 'delete', initiating_entity: 'user' });
  });

  it('ignores other events, and events without a user or (for revocations) a session', () => {
    expect(
      securityEventFor(event('session.created', { rememberMe: false } as never), ISS),
    ).toBeUndefined();
    expect(securityEventFor(event('password.changed', {}, {}), ISS)).toBeUndefined();
    expect(
      securityEventFor(event('session.revoked', { reason: 'logout' }, { userId: USER }), ISS),
    ).toBeUndefined();
  });

  it('makes a verification event about the stream, with the state only when given', () => {
    expect(verificationEvent('s-1', 'xyz')).toEqual({
      eventType: VERIFICATION,
      subId: { format: 'opaque', id: 's-1' },
      payload: { state: 'xyz' },
    });
    expect(verificationEvent('s-1', undefined).payload).toEqual({});
  });
});
