import { LoginProtectionService } from '../src/auth/throttling/login-protection.service';
import { UsersUnlockCommand } from '../src/cli/commands/users.commands';
import type { CliRuntime } from '../src/cli/cli-runtime.service';
import { normalizeEmail } from '../src/users/users.service';
import { bearer, login, PASSWORD, register, uniqueEmail } from './support/auth-client';
import { drainEvents } from './support/events-helpers';
import { ADMIN_SETUP_TIMEOUT_MS, signedInAdmin } from './support/admin-session';
import { createTestApp, type TestApp } from './support/test-app';

// The attack tests make a few hundred requests: allow for a loaded machine.
jest.setTimeout(180_000);

const WRONG = 'not the password at all';
const OWNER_DEVICE = { id: 'ios-owner-device-0001' };

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: { code?: string };
  text: string;
}

function attempt(
  t: TestApp,
  ip: string,
  email: string,
  password: string,
  device?: { id: string },
): Promise<Answer> {
  return t.http
    .post('/auth/login')
    .set('X-Forwarded-For', ip)
    .send({ email, password, ...(device ? { device } : {}) });
}

/**
 * Fails `count` times from `ip`, waiting out every delay on the manual clock as a patient
 * attacker would; returns the Retry-After values met on the way.
 */
async function failRepeatedly(
  t: TestApp,
  ip: string,
  email: string,
  count: number,
): Promise<number[]> {
  const waits: number[] = [];
  let failures = 0;
  while (failures < count) {
    const res = await attempt(t, ip, email, WRONG);
    if (res.status === 429) {
      expect(res.body.code).toBe('rate_limited');
      const wait = Number(res.headers['retry-after']);
      waits.push(wait);
      t.clock.advance(wait * 1000);
      continue;
    }
    expect(res.status).toBe(401);
    failures += 1;
  }
  return waits;
}

/** An owner who has signed in from a known device (the app's device id) once. */
async function ownerWithKnownDevice(t: TestApp): Promise<{ email: string; id: string }> {
  const email = uniqueEmail('owner');
  const user = await register(t, email);
  const res = await attempt(t, '203.0.113.5', email, PASSWORD, OWNER_DEVICE);
  expect(res.status).toBe(200);
  return { email, id: user.id };
}

describe('failed-login protection: a stranger cannot lock the owner out', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      env: { TRUST_PROXY: 'loopback', LOGIN_MAX_FAILURES: '5', LOCKOUT_DURATION: '15m' },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it("survives an attacker's 50 failures from one network: known device and other networks sign in", async () => {
    const owner = await ownerWithKnownDevice(t);
    const waits = await failRepeatedly(t, '198.51.100.7', owner.email, 50);

    // Growing delays: 1 s after the fifth failure, doubling, capped at LOCKOUT_DURATION.
    expect(waits[0]).toBe(1);
    expect(waits.slice(0, 5)).toEqual([1, 2, 4, 8, 16]);
    for (let i = 1; i < waits.length; i += 1) expect(waits[i]).toBeGreaterThanOrEqual(waits[i - 1]);
    expect(Math.max(...waits)).toBe(900);

    // The right password from the attacker's network during its delay: 429, no oracle.
    const during = await attempt(t, '198.51.100.99', owner.email, PASSWORD);
    expect(during.status).toBe(429);
    expect(during.body.code).toBe('rate_limited');
    expect(Number(during.headers['retry-after'])).toBeGreaterThan(0);

    // The owner's known device on the very same network is not held by the attacker's failures.
    expect((await attempt(t, '198.51.100.8', owner.email, PASSWORD, OWNER_DEVICE)).status).toBe(
      200,
    );
    // From another network, even without the device, the owner signs in.
    expect((await attempt(t, '192.0.2.10', owner.email, PASSWORD)).status).toBe(200);
  });

  it('treats unknown and known emails alike, and never trusts a device id it has not seen', async () => {
    const owner = await ownerWithKnownDevice(t);
    const ghost = uniqueEmail('ghost');
    const known = await failRepeatedly(t, '198.51.101.7', owner.email, 8);
    const unknown = await failRepeatedly(t, '198.51.102.7', ghost, 8);
    expect(unknown).toEqual(known);
    // A device id the account has never seen (or one derived from a user agent) is an unknown device.
    for (const device of [{ id: 'ios-attacker-0001' }, { id: 'ua:abcdefghijklmnop' }]) {
      const res = await attempt(t, '198.51.101.8', owner.email, PASSWORD, device);
      expect(res.status).toBe(429);
    }
  });

  it('records a failure for an unknown email without a user and with a keyed hash, never the email', async () => {
    const ghost = uniqueEmail('Ghost.Audit');
    await attempt(t, '198.51.103.7', ghost, WRONG);
    await drainEvents(t);
    const rows = await t.dataSource.query<
      Array<{ user_id: string | null; ip: string; reason: string; data: Record<string, unknown> }>
    >(
      `SELECT user_id, ip, reason, data FROM audit_records
        WHERE type = 'auth.login.failed' AND data->>'emailMac' = $1`,
      [t.app.get(LoginProtectionService).emailMac(normalizeEmail(ghost))],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ user_id: null, ip: '198.51.103.7' });
    expect(rows[0].reason).toBe('invalid_credentials');
    expect(JSON.stringify(rows[0]).toLowerCase()).not.toContain(ghost.toLowerCase().split('@')[0]);
  });

  it('counts wrong current passwords on password change (429) and audits each', async () => {
    const email = uniqueEmail('changer');
    await register(t, email);
    const session = await login(t, email);
    const statuses: number[] = [];
    const waits: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      const res = await t.http
        .post('/auth/password/change')
        .set('X-Forwarded-For', '198.51.104.7')
        .set(...bearer(session.accessToken))
        .send({ currentPassword: `wrong guess ${i}`, newPassword: 'a brand new passphrase 42' });
      statuses.push(res.status);
      if (res.status === 429) waits.push(Number(res.headers['retry-after']));
    }
    expect(statuses).toEqual([400, 400, 400, 400, 400, 429, 429]);
    expect(waits).toEqual([1, 1]);
    // The right current password during the delay gets 429 as well.
    await t.http
      .post('/auth/password/change')
      .set('X-Forwarded-For', '198.51.104.7')
      .set(...bearer(session.accessToken))
      .send({ currentPassword: PASSWORD, newPassword: 'a brand new passphrase 42' })
      .expect(429);
    await drainEvents(t);
    const [row] = await t.dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM audit_records
        WHERE type = 'auth.password_change_failed' AND user_id = $1 AND outcome = 'failure'`,
      [session.user.id],
    );
    expect(row.n).toBe(5);
  });
});

describe('failed-login protection: the account-wide ceiling and unlocking', () => {
  let t: TestApp;
  let adminToken: string;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        TRUST_PROXY: 'loopback',
        LOGIN_MAX_FAILURES: '5',
        LOGIN_ACCOUNT_MAX_FAILURES: '12',
        LOCKOUT_DURATION: '15m',
      },
    });
    adminToken = (await signedInAdmin(t)).accessToken;
  }, ADMIN_SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await t.close();
  });

  /** 12 failures spread over six networks (two each: no network reaches its own threshold). */
  async function passCeiling(email: string): Promise<void> {
    for (let net = 0; net < 6; net += 1) {
      for (let i = 0; i < 2; i += 1) {
        expect((await attempt(t, `198.18.${net}.${i + 1}`, email, WRONG)).status).toBe(401);
      }
    }
  }

  it('past the ceiling delays every unknown device, but not the known one', async () => {
    const owner = await ownerWithKnownDevice(t);
    await passCeiling(owner.email);
    const stranger = await attempt(t, '192.0.2.77', owner.email, PASSWORD);
    expect(stranger.status).toBe(429);
    expect(Number(stranger.headers['retry-after'])).toBeGreaterThan(0);
    expect((await attempt(t, '192.0.2.78', owner.email, PASSWORD, OWNER_DEVICE)).status).toBe(200);
  });

  it('admin unlock (PATCH locked:false) clears every counter of the account', async () => {
    const owner = await ownerWithKnownDevice(t);
    await passCeiling(owner.email);
    await failRepeatedly(t, '198.51.100.7', owner.email, 5);
    expect((await attempt(t, '192.0.2.80', owner.email, PASSWORD)).status).toBe(429);
    await t.http
      .patch(`/admin/users/${owner.id}`)
      .set(...bearer(adminToken))
      .send({ locked: false })
      .expect(200);
    expect((await attempt(t, '198.51.100.7', owner.email, PASSWORD)).status).toBe(200);
    expect((await attempt(t, '192.0.2.81', owner.email, PASSWORD)).status).toBe(200);
  });

  it('CLI users:unlock clears every counter of the account', async () => {
    const owner = await ownerWithKnownDevice(t);
    await passCeiling(owner.email);
    expect((await attempt(t, '192.0.2.90', owner.email, PASSWORD)).status).toBe(429);
    // The command's own logic against this app (the process path is in cli.e2e-spec.ts).
    const runtime = {
      withApp: <T>(work: (app: TestApp['app']) => Promise<T>) => work(t.app),
    } as unknown as CliRuntime;
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await new UsersUnlockCommand(runtime).run([owner.email.toUpperCase()]);
      expect(write).toHaveBeenCalledWith(expect.stringMatching(/^unlocked /));
    } finally {
      write.mockRestore();
    }
    expect((await attempt(t, '192.0.2.91', owner.email, PASSWORD)).status).toBe(200);
  });

  it("an administrator's lock answers a right and a wrong password alike (423), and stops refresh", async () => {
    const owner = await ownerWithKnownDevice(t);
    const session = await login(t, owner.email);
    // Set directly, as a lock racing a refresh would find it (the admin route also revokes).
    await t.dataSource.query(`UPDATE users SET locked = true WHERE id = $1`, [owner.id]);
    const strip = (res: Answer): string =>
      `${res.status}|${res.headers['content-type']}|${res.text.replace(/"requestId":"[^"]+"/, '')}`;
    const right = await attempt(t, '192.0.2.100', owner.email, PASSWORD);
    const wrong = await attempt(t, '192.0.2.100', owner.email, WRONG);
    expect(right.status).toBe(423);
    expect(right.body.code).toBe('account_locked');
    expect(strip(wrong)).toBe(strip(right));
    const refreshed = await t.http
      .post('/auth/refresh')
      .send({ refreshToken: session.refreshToken })
      .expect(401);
    expect(refreshed.body.code).toBe('refresh_token_invalid');
  });
});

describe('global budget for login and register', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        TRUST_PROXY: 'loopback',
        RATE_LIMIT_ENABLED: 'true',
        RATE_LIMIT_AUTH: '1000/1m',
        RATE_LIMIT_AUTH_GLOBAL: '6/1m',
      },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('sheds login and register beyond RATE_LIMIT_AUTH_GLOBAL across all clients (429 + Retry-After)', async () => {
    const statuses: number[] = [];
    let shed: Answer | undefined;
    for (let i = 0; i < 8; i += 1) {
      const ip = `100.${64 + i}.0.1`;
      const res = await (i % 2 === 0
        ? t.http
            .post('/auth/register')
            .set('X-Forwarded-For', ip)
            .send({ email: uniqueEmail('flood'), password: PASSWORD })
        : attempt(t, ip, uniqueEmail('flood'), WRONG));
      statuses.push(res.status);
      if (res.status === 429) shed = res;
    }
    expect(statuses).toEqual([201, 401, 201, 401, 201, 401, 429, 429]);
    expect(shed?.body.code).toBe('rate_limited');
    expect(Number(shed?.headers['retry-after'])).toBeGreaterThan(0);
  });
});
