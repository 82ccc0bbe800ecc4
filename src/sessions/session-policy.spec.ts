import { loadConfig } from '../config/app-config';
import { ConfiguredSessionPolicy, type SessionPolicy } from './session-policy';

function makeSut(env: Record<string, string> = {}): SessionPolicy {
  return new ConfiguredSessionPolicy(loadConfig(env));
}

const MINUTE = 60_000;
const DAY = 86_400_000;

describe('ConfiguredSessionPolicy', () => {
  const sut = makeSut({
    SESSION_IDLE_TIMEOUT: '20m',
    SESSION_REMEMBER_ME_IDLE_TIMEOUT: '7d',
    SESSION_ABSOLUTE_TIMEOUT: '14d',
    MAX_SESSIONS_PER_USER: '3',
  });

  it('gives an ordinary session the short idle timeout', () => {
    expect(sut.timeoutsFor({ rememberMe: false, roles: ['user'] })).toEqual({
      idleTimeoutMs: 20 * MINUTE,
      absoluteTimeoutMs: 14 * DAY,
    });
  });

  it('gives a remember-me session the long idle timeout and the same absolute cap', () => {
    expect(sut.timeoutsFor({ rememberMe: true, roles: ['user'] })).toEqual({
      idleTimeoutMs: 7 * DAY,
      absoluteTimeoutMs: 14 * DAY,
    });
  });

  it('limits active sessions per user as configured, whatever the roles', () => {
    expect(sut.maxActiveSessions({ roles: ['user'] })).toBe(3);
    expect(sut.maxActiveSessions({ roles: ['user', 'admin'] })).toBe(3);
  });

  it('falls back to the contract defaults', () => {
    const defaults = makeSut();
    expect(defaults.timeoutsFor({ rememberMe: false, roles: [] }).idleTimeoutMs).toBe(30 * MINUTE);
    expect(defaults.maxActiveSessions({ roles: [] })).toBe(10);
  });
});
