import { PASSWORD, uniqueEmail } from './support/auth-client';
import { createTestApp, type TestApp } from './support/test-app';

/**
 * Issue 10: the per-IP budget was keyed on the full IPv6 address, so a client rotating through
 * the 2^64 addresses of its /64 was never limited. The key is now the /64 (IPv4: the /24).
 */
describe('per-network throttling', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      env: { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_AUTH: '3/1m', TRUST_PROXY: 'loopback' },
    });
  });
  afterAll(async () => {
    await t.close();
  });

  async function registerFrom(ip: string): Promise<number> {
    const res = await t.http
      .post('/auth/register')
      .set('X-Forwarded-For', ip)
      .send({ email: uniqueEmail(), password: PASSWORD });
    return res.status;
  }

  it('rotating addresses within one IPv6 /64 share one budget', async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= 5; i += 1) statuses.push(await registerFrom(`2001:db8:77:1::${i}`));
    expect(statuses).toEqual([201, 201, 201, 429, 429]);
    // Another /64 has its own budget.
    expect(await registerFrom('2001:db8:77:2::1')).toBe(201);
  });

  it('rotating addresses within one IPv4 /24 share one budget', async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= 4; i += 1) statuses.push(await registerFrom(`198.51.77.${i}`));
    expect(statuses).toEqual([201, 201, 201, 429]);
  });
});
