import type { AnyLifecycleEvent } from '../../events/event-catalog';
import { makeLifecycleEvent } from '../../events/lifecycle-event.factory';
import type { RuleHistory } from '../alert-rule';
import { AlertingSettings } from '../alerting-settings';
import { AccountLockedRule } from './account-locked.rule';
import { FailedLoginBurstAccountRule, FailedLoginBurstIpRule } from './failed-login-burst.rule';
import { NewDeviceRule } from './new-device.rule';
import { RefreshReuseRule } from './refresh-reuse.rule';
import { SessionIpChangedRule } from './session-ip-changed.rule';
import { SessionLimitEvictionRule } from './session-limit-eviction.rule';

/** A history holding `observed` event ids (all inside any window asked for). */
function makeHistory(observed: string[], seenBefore = observed.length > 1): RuleHistory {
  return {
    eventIdsSince: async () => observed,
    seenBefore: async () => seenBefore,
  };
}

const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `event-${i + 1}`);

function settings(): AlertingSettings {
  const value = new AlertingSettings();
  value.failedLoginsPerAccount = { count: 3, windowMs: 60_000 };
  value.failedLoginsPerIp = { count: 5, windowMs: 60_000 };
  return value;
}

const failedLogin = (ip?: string): AnyLifecycleEvent =>
  makeLifecycleEvent('auth.login.failed', { reason: 'invalid_credentials' }, { ip });

describe('FailedLoginBurstAccountRule', () => {
  const sut = new FailedLoginBurstAccountRule(settings());

  it('stays quiet below the threshold', async () => {
    await expect(sut.evaluate(failedLogin(), makeHistory(ids(2)))).resolves.toBeUndefined();
  });

  it('raises a medium alert at the threshold, with the burst as evidence', async () => {
    const draft = await sut.evaluate(failedLogin(), makeHistory(ids(3)));
    expect(draft).toEqual({
      severity: 'medium',
      title: '3 failed sign-in attempts in a short time',
      evidence: ids(3),
    });
  });

  it('counts from the event time back over the configured window', async () => {
    let asked: Date | undefined;
    const history: RuleHistory = {
      eventIdsSince: async (since) => {
        asked = since;
        return [];
      },
      seenBefore: async () => false,
    };
    await sut.evaluate(failedLogin(), history);
    expect(asked?.toISOString()).toBe('2026-11-26T11:59:00.000Z');
  });
});

describe('FailedLoginBurstIpRule', () => {
  const sut = new FailedLoginBurstIpRule(settings());

  it('counts by client IP, and skips events without one', () => {
    expect(sut.subject(failedLogin('203.0.113.9'))).toBe('ip:203.0.113.9');
    expect(sut.subject(failedLogin())).toBeUndefined();
  });

  it('raises a high alert naming the address at its own threshold', async () => {
    await expect(sut.evaluate(failedLogin('203.0.113.9'), makeHistory(ids(4)))).resolves.toBe(
      undefined,
    );
    const draft = await sut.evaluate(failedLogin('203.0.113.9'), makeHistory(ids(5)));
    expect(draft).toMatchObject({
      severity: 'high',
      title: expect.stringContaining('203.0.113.9'),
    });
  });

  it('files the alert without a user: its evidence spans other accounts', async () => {
    const draft = await sut.evaluate(failedLogin('203.0.113.9'), makeHistory(ids(5)));
    expect(draft?.userId).toBeNull();
  });
});

describe('NewDeviceRule', () => {
  const sut = new NewDeviceRule();
  const newDevice = makeLifecycleEvent(
    'device.new',
    { name: 'Firefox on Linux' },
    { deviceId: 'device-2' },
  );

  it("ignores the account's first device", async () => {
    await expect(sut.evaluate(newDevice, makeHistory([], false))).resolves.toBeUndefined();
  });

  it('alerts on a further device, once per device', async () => {
    const draft = await sut.evaluate(newDevice, makeHistory([], true));
    expect(draft).toEqual({
      severity: 'medium',
      title: 'Sign-in from a new device: Firefox on Linux',
      dedupeKey: 'device:device-2',
    });
  });
});

describe('AccountLockedRule', () => {
  const sut = new AccountLockedRule();

  it('rates a lockout after failed sign-ins higher than an admin lock', async () => {
    const byFailures = await sut.evaluate(
      makeLifecycleEvent('user.locked', { reason: 'failed_logins' }),
    );
    const byAdmin = await sut.evaluate(makeLifecycleEvent('user.locked', { reason: 'admin' }));
    expect(byFailures?.severity).toBe('high');
    expect(byAdmin?.severity).toBe('medium');
  });
});

describe('RefreshReuseRule', () => {
  it('raises a high alert keyed by the session', async () => {
    const sut = new RefreshReuseRule();
    const draft = await sut.evaluate(
      makeLifecycleEvent('session.reuse_detected', { tokenGeneration: 3 }, { sessionId: 's-1' }),
    );
    expect(draft).toMatchObject({ severity: 'high', dedupeKey: 'session:s-1' });
  });
});

describe('SessionIpChangedRule', () => {
  it('names both addresses and keys by session and new address', async () => {
    const sut = new SessionIpChangedRule();
    const draft = await sut.evaluate(
      makeLifecycleEvent(
        'session.ip_changed',
        { previousIp: '198.51.100.1' },
        { sessionId: 's-1', ip: '203.0.113.9' },
      ),
    );
    expect(draft).toEqual({
      severity: 'medium',
      title: 'Session continued from a new IP address (203.0.113.9, was 198.51.100.1)',
      dedupeKey: 'session:s-1:203.0.113.9',
    });
  });
});

describe('SessionLimitEvictionRule', () => {
  const sut = new SessionLimitEvictionRule();

  it('only considers revocations caused by the session limit', () => {
    const evicted = makeLifecycleEvent('session.revoked', { reason: 'limit_evicted' });
    const byUser = makeLifecycleEvent('session.revoked', { reason: 'user' });
    expect(sut.subject(evicted)).toBe('user:user-1');
    expect(sut.subject(byUser)).toBeUndefined();
  });
});
