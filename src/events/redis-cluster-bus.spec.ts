import Redis from 'ioredis';
import { RedisClusterBus } from './redis-cluster-bus';

const REDIS = process.env.TESSERA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const USER = `tessera-acl-test-${process.pid}`;
const PASSWORD = 'acl-test-password-1';

/** Redis AUTH/ACL through REDIS_URL (redis://user:password@host), against the local Redis. */
describe('RedisClusterBus with an ACL user', () => {
  let admin: Redis;
  let available = true;

  beforeAll(async () => {
    admin = new Redis(REDIS, { lazyConnect: true, maxRetriesPerRequest: 0 });
    try {
      await admin.connect();
      // Only what the bus needs: its channels, publish/subscribe and ping.
      await admin.call(
        'ACL',
        'SETUSER',
        USER,
        'reset',
        'on',
        `>${PASSWORD}`,
        '&tessera:*',
        '+@pubsub',
        '+ping',
      );
    } catch {
      available = false;
    }
  });
  afterAll(async () => {
    if (available) await admin.call('ACL', 'DELUSER', USER);
    admin.disconnect();
  });

  const urlWith = (user: string, password: string): string => {
    const url = new URL(REDIS);
    url.username = user;
    url.password = password;
    return url.toString();
  };

  it('connects with the credentials in REDIS_URL and carries messages', async () => {
    if (!available) return;
    const sender = new RedisClusterBus(urlWith(USER, PASSWORD));
    const receiver = new RedisClusterBus(urlWith(USER, PASSWORD));
    const got: unknown[] = [];
    receiver.subscribe('session_ended', (m) => got.push(m));
    try {
      await sender.onModuleInit();
      await receiver.onModuleInit();
      const message = {
        s: 'revoked' as const,
        t: 1,
        ids: ['7c9e6679-7425-40de-944b-e07fc1f90ae7'],
      };
      await sender.publish('session_ended', message);
      for (let i = 0; i < 50 && got.length === 0; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(got).toEqual([message]);
    } finally {
      await sender.onApplicationShutdown();
      await receiver.onApplicationShutdown();
    }
  });

  it('fails to start with a wrong password', async () => {
    if (!available) return;
    const bus = new RedisClusterBus(urlWith(USER, 'wrong-password'));
    try {
      await expect(bus.onModuleInit()).rejects.toThrow();
    } finally {
      await bus.onApplicationShutdown();
    }
  });
});
