import { PASSWORD, register, uniqueEmail } from './support/auth-client';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import { ModulesContainer } from '@nestjs/core';
import { BackgroundWorker } from '../src/common/background-worker';
import { OutboxRelay } from '../src/events/outbox-relay.service';
import Redis from 'ioredis';
import { PasswordHasher } from '../src/users/password-hasher.service';
import { createTestApp, type TestApp } from './support/test-app';

describe('lockout and login answers', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      // The real argon2id parameters (not the suite's cheap ones): this suite checks them.
      env: {
        LOGIN_MAX_FAILURES: '3',
        LOCKOUT_DURATION: '15m',
        TEST_CHEAP_PASSWORD_HASHING: 'false',
      },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers unknown email and wrong password byte-identically (but the request id)', async () => {
    const email = uniqueEmail();
    await register(t, email);
    const strip = (res: {
      status: number;
      text: string;
      headers: Record<string, string>;
    }): string =>
      `${res.status}|${res.headers['content-type']}|${res.text.replace(/"requestId":"[^"]+"/, '')}`;
    const wrong = await t.http
      .post('/auth/login')
      .send({ email, password: 'not the password at all' });
    const unknown = await t.http
      .post('/auth/login')
      .send({ email: uniqueEmail('ghost'), password: 'not the password at all' });
    expect(wrong.status).toBe(401);
    expect(strip(wrong)).toBe(strip(unknown));
    expect(wrong.body.code).toBe('invalid_credentials');
  });

  it('runs one argon2id verification for unknown emails too (no timing oracle)', async () => {
    const email = uniqueEmail();
    await register(t, email);
    const hasher = t.app.get(PasswordHasher, { strict: false });
    const verify = jest.spyOn(hasher, 'verify');
    try {
      await t.http
        .post('/auth/login')
        .send({ email, password: 'not the password at all' })
        .expect(401);
      expect(verify).toHaveBeenCalledTimes(1);
      await t.http
        .post('/auth/login')
        .send({ email: uniqueEmail('ghost'), password: 'not the password at all' })
        .expect(401);
      // The unknown email verified against the dummy argon2id hash, the same work as a real check.
      expect(verify).toHaveBeenCalledTimes(2);
      expect(verify.mock.calls[1][0]).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      // and the registered password was stored at the production parameters too.
      const [stored] = await t.dataSource.query<Array<{ password_hash: string }>>(
        'SELECT password_hash FROM users WHERE email = $1',
        [email],
      );
      expect(stored.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    } finally {
      verify.mockRestore();
    }
  });

  it('delays (429 + Retry-After, never 423) after LOGIN_MAX_FAILURES; the right password waits too', async () => {
    const email = uniqueEmail();
    await register(t, email);
    for (let i = 0; i < 3; i += 1) {
      await t.http.post('/auth/login').send({ email, password: 'wrong password here' }).expect(401);
    }
    const delayed = await t.http
      .post('/auth/login')
      .send({ email, password: PASSWORD })
      .expect(429);
    expect(delayed.body.code).toBe('rate_limited');
    expect(Number(delayed.headers['retry-after'])).toBe(1);

    t.clock.advance(1000);
    await t.http.post('/auth/login').send({ email, password: PASSWORD }).expect(200);

    await t.flushEvents();
    const types = await t.dataSource.query<Array<{ type: string }>>(
      `SELECT type FROM outbox_events WHERE payload->>'userId' = (SELECT id::text FROM users WHERE email = $1) ORDER BY seq`,
      [email],
    );
    // Three wrong passwords on record; a delayed attempt is no failure, and nothing locks.
    expect(types.filter((row) => row.type === 'auth.login.failed')).toHaveLength(3);
    expect(types.filter((row) => row.type === 'user.locked')).toHaveLength(0);
  });

  it('delays an unknown email exactly like a real one (no enumeration through 429)', async () => {
    const email = uniqueEmail();
    await register(t, email);
    const ghost = uniqueEmail('ghost');
    const strip = (res: {
      status: number;
      text: string;
      headers: Record<string, string>;
    }): string =>
      `${res.status}|${res.headers['retry-after']}|${res.text.replace(/"requestId":"[^"]+"/, '')}`;
    const answers: Record<string, string[]> = { known: [], ghost: [] };
    for (let i = 0; i < 5; i += 1) {
      for (const [name, target] of [
        ['known', email],
        ['ghost', ghost],
      ] as const) {
        const res = await t.http
          .post('/auth/login')
          .send({ email: target, password: 'wrong password here' });
        answers[name].push(strip(res));
      }
    }
    expect(answers.ghost).toEqual(answers.known);
    expect(answers.known.map((answer) => answer.split('|')[0])).toEqual([
      '401',
      '401',
      '401',
      '429',
      '429',
    ]);
  });
});

describe('rate limiting', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      env: { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_AUTH: '5/1m', LOGIN_MAX_FAILURES: '100' },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 429 rate_limited with Retry-After once the per-IP budget is spent', async () => {
    const statuses: number[] = [];
    let limited: { headers: Record<string, string>; body: { code: string } } | undefined;
    for (let i = 0; i < 7; i += 1) {
      const res = await t.http
        .post('/auth/login')
        .send({ email: uniqueEmail('ip'), password: 'wrong password here' });
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429]);
    expect(limited?.body.code).toBe('rate_limited');
    expect(Number(limited?.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited?.headers['retry-after-ip']).toBeUndefined();
  });

  it('ignores X-Forwarded-For unless TRUST_PROXY says so (no bypass by header)', async () => {
    const res = await t.http
      .post('/auth/register')
      .set('X-Forwarded-For', '198.51.100.1')
      .send({ email: uniqueEmail(), password: PASSWORD });
    expect(res.status).toBe(201);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const next = await t.http
        .post('/auth/register')
        .set('X-Forwarded-For', `198.51.100.${i + 2}`)
        .send({ email: uniqueEmail(), password: PASSWORD });
      statuses.push(next.status);
    }
    expect(statuses).toContain(429);
  });
});

describe('rate limiting behind a trusted proxy', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        RATE_LIMIT_ENABLED: 'true',
        RATE_LIMIT_AUTH: '5/1m',
        LOGIN_MAX_FAILURES: '100',
        TRUST_PROXY: 'loopback',
      },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('limits per account where that cannot lock anyone out: forgot-password, not login', async () => {
    const email = uniqueEmail('target');
    const forgot: number[] = [];
    const logins: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      const res = await t.http
        .post('/auth/password/forgot')
        .set('X-Forwarded-For', `198.51.${i}.10`)
        .send({ email });
      forgot.push(res.status);
      // A per-email login budget anyone can spend would keep the owner out: login is left to
      // the failed-login protection (per account and network).
      const login = await t.http
        .post('/auth/login')
        .set('X-Forwarded-For', `198.51.${i}.10`)
        .send({ email, password: 'wrong password here' });
      logins.push(login.status);
    }
    expect(forgot).toEqual([202, 202, 202, 202, 202, 429, 429]);
    expect(logins).toEqual([401, 401, 401, 401, 401, 401, 401]);
  });

  it('takes the client IP from the trusted proxy header', async () => {
    const email = uniqueEmail();
    await register(t, email);
    const res = await t.http
      .post('/auth/login')
      .set('X-Forwarded-For', '203.0.113.99')
      .send({ email, password: PASSWORD })
      .expect(200);
    expect(res.body.session.ip).toBe('203.0.113.99');
  });
});

describe('rate limits shared through Redis across instances', () => {
  const apps: TestApp[] = [];

  beforeAll(async () => {
    // Budgets live in Redis beyond this process: start from a clean slate (earlier runs).
    const redis = new Redis('redis://127.0.0.1:6379');
    const keys = await redis.keys('tessera:throttle:*');
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    const env = {
      RATE_LIMIT_ENABLED: 'true',
      RATE_LIMIT_AUTH: '4/1m',
      REDIS_URL: 'redis://127.0.0.1:6379',
    };
    apps.push(await createTestApp({ env }), await createTestApp({ env }));
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
  });

  it('counts one budget for an account whichever instance answers', async () => {
    const email = uniqueEmail('shared');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const res = await apps[i % 2].http.post('/auth/password/forgot').send({ email });
      statuses.push(res.status);
    }
    expect(statuses).toEqual([202, 202, 202, 202, 429, 429]);
  });
});

describe('same work for unknown and known emails (counted, not timed)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  /** Every background worker of the app (outbox relay, webhook worker, sweeps…). */
  function workers(): Array<{ stopped: boolean }> {
    const found: Array<{ stopped: boolean }> = [];
    for (const module of t.app.get(ModulesContainer).values()) {
      for (const wrapper of module.providers.values()) {
        if (wrapper.instance instanceof BackgroundWorker)
          found.push(wrapper.instance as unknown as { stopped: boolean });
      }
    }
    return found;
  }

  /** The SQL statements `work` runs; background workers (on their own timers) are held meanwhile. */
  async function statementsOf(work: () => Promise<unknown>): Promise<string[]> {
    // Let earlier events finish publishing first (their listeners' statements are not ours).
    await t.flushEvents();
    const relay = t.app.get<OutboxRelay, { kick(): void }>(OutboxRelay);
    const kick = jest.spyOn(relay, 'kick').mockImplementation(() => undefined);
    const held = workers();
    for (const worker of held) worker.stopped = true;
    const spy = jest.spyOn(PostgresQueryRunner.prototype, 'query');
    try {
      await work();
      return spy.mock.calls.map(([sql]) => sql.replace(/\s+/g, ' ').trim());
    } finally {
      spy.mockRestore();
      kick.mockRestore();
      for (const worker of held) worker.stopped = false;
      await t.flushEvents();
    }
  }

  it('a wrong login runs the same statements for an unknown and a known email', async () => {
    const email = uniqueEmail();
    await register(t, email);
    const wrong = (target: string) => () =>
      t.http
        .post('/auth/login')
        .send({ email: target, password: 'wrong password here' })
        .expect(401);
    const known = await statementsOf(wrong(email));
    const unknown = await statementsOf(wrong(uniqueEmail('ghost')));
    expect(unknown).toEqual(known);
    expect(known.some((sql) => sql.includes('login_protection'))).toBe(true);
  });

  it('forgot-password mints a token and runs the same statements but the token row', async () => {
    const email = uniqueEmail();
    await register(t, email);
    const forgot = (target: string) => () =>
      t.http.post('/auth/password/forgot').send({ email: target }).expect(202);
    const known = await statementsOf(forgot(email));
    const unknown = await statementsOf(forgot(uniqueEmail('ghost')));
    const tokenRow = (sql: string): boolean => /INSERT INTO "password_reset_tokens"/.test(sql);
    expect(known.filter(tokenRow)).toHaveLength(1);
    expect(unknown).toEqual(known.filter((sql) => !tokenRow(sql)));
  });
});
