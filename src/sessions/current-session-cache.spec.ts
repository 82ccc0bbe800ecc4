import { ManualClock } from '../common/clock';
import { LocalClusterBus } from '../events/cluster-bus';
import {
  CURRENT_SESSION_BACKSTOP_MS,
  CurrentSessionCache,
  type CurrentSession,
} from './current-session-cache';

const USER = '00000000-0000-4000-8000-000000000001';
const SESSION = '00000000-0000-4000-8000-000000000002';

function row(roles: string[]): CurrentSession {
  return { session: { id: SESSION }, user: { id: USER, roles } } as unknown as CurrentSession;
}

describe('CurrentSessionCache', () => {
  let bus: LocalClusterBus;
  let clock: ManualClock;
  let cache: CurrentSessionCache;
  const key = { sessionId: SESSION, userId: USER, tokenId: 'jti-1', tokenExpiresAtMs: 0 };

  beforeEach(() => {
    bus = new LocalClusterBus();
    clock = new ManualClock(1_000_000);
    cache = new CurrentSessionCache(bus, clock);
    key.tokenExpiresAtMs = clock.nowMs() + 900_000;
  });

  it('keeps a read for the same token only', async () => {
    await cache.load(key, async () => row(['user']));
    expect(cache.get(SESSION, 'jti-1')?.user.roles).toEqual(['user']);
    expect(cache.get(SESSION, 'jti-2')).toBeUndefined();
  });

  it('drops the user on user_changed and the session on session_ended', async () => {
    await cache.load(key, async () => row(['user']));
    await bus.publish('user_changed', { u: USER });
    expect(cache.get(SESSION, 'jti-1')).toBeUndefined();
    await cache.load(key, async () => row(['user']));
    await bus.publish('session_ended', { s: 'revoked', t: clock.nowMs(), ids: [SESSION] });
    expect(cache.get(SESSION, 'jti-1')).toBeUndefined();
  });

  it('does not store a read that an invalidation overtook (it may predate the change)', async () => {
    let finish!: (value: CurrentSession) => void;
    const loading = cache.load(key, () => new Promise((resolve) => (finish = resolve)));
    await bus.publish('user_changed', { u: USER });
    finish(row(['user']));
    await loading;
    expect(cache.get(SESSION, 'jti-1')).toBeUndefined();
    // A read started after the invalidation is kept.
    await cache.load(key, async () => row(['admin', 'user']));
    expect(cache.get(SESSION, 'jti-1')?.user.roles).toEqual(['admin', 'user']);
  });

  it('forgets at the token expiry or the backstop, and everything on a resync', async () => {
    await cache.load(key, async () => row(['user']));
    clock.advance(CURRENT_SESSION_BACKSTOP_MS);
    expect(cache.get(SESSION, 'jti-1')).toBeUndefined();
    await cache.load(key, async () => row(['user']));
    (bus as unknown as { resync(): void }).resync();
    expect(cache.size).toBe(0);
  });
});
