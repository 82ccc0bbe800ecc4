import { bearer, login, PASSWORD, register, uniqueEmail } from './support/auth-client';
import { createTestApp, type TestApp } from './support/test-app';

/**
 * Attacker-sized input that used to overflow a column and answer 500: each is now either cut to
 * the column (parsed User-Agent fields), ignored (an over-long device cookie) or refused (400).
 */
describe('column overflow', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('an 80-digit Android version in the User-Agent is cut to the column', async () => {
    const email = uniqueEmail();
    await register(t, email);
    const version = '9'.repeat(80);
    const userAgent = `Mozilla/5.0 (Linux; Android ${version}; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${version} Mobile Safari/537.36`;
    const tokens = await login(t, email, {}, userAgent);
    const devices = await t.http
      .get('/devices')
      .set(...bearer(tokens.accessToken))
      .expect(200);
    const [device] = devices.body.items as Array<{ os: string; browser: string; name: string }>;
    expect(device.os.startsWith('Android 999')).toBe(true);
    expect(device.os.length).toBeLessThanOrEqual(50);
    expect(device.browser.length).toBeLessThanOrEqual(50);
  });

  it('a 200-character device cookie is ignored: the login succeeds with a fresh one', async () => {
    const email = uniqueEmail();
    await register(t, email);
    const first = await t.http
      .post('/auth/login')
      .set('X-Auth-Mode', 'cookie')
      .send({ email, password: PASSWORD })
      .expect(200);
    const deviceCookie = (first.headers['set-cookie'] as unknown as string[])
      .map((c) => c.split(';')[0])
      .find((c) => c.includes('tessera_did='));
    const name = deviceCookie?.split('=')[0] ?? '';
    expect(name).toContain('tessera_did');
    for (const junk of ['d'.repeat(200), `web:${'x'.repeat(196)}`, 'short']) {
      const res = await t.http
        .post('/auth/login')
        .set('X-Auth-Mode', 'cookie')
        .set('Cookie', `${name}=${junk}`)
        .send({ email, password: PASSWORD })
        .expect(200);
      const minted = (res.headers['set-cookie'] as unknown as string[]).find((c) =>
        c.startsWith(`${name}=`),
      );
      expect(minted).toMatch(/=web(:|%3A)[\w-]{24};/);
    }
  });

  it('over-long device names and platforms are refused with 400, not a 500', async () => {
    const email = uniqueEmail();
    await register(t, email);
    for (const device of [
      { id: 'phone-device-0003', name: 'n'.repeat(101) },
      { id: 'phone-device-0003', name: '😀'.repeat(101) },
      { id: 'phone-device-0003', platform: 'p'.repeat(51) },
      { id: 'd'.repeat(200) },
    ]) {
      const res = await t.http.post('/auth/login').send({ email, password: PASSWORD, device });
      expect({ device, status: res.status, code: res.body.code }).toEqual({
        device,
        status: 400,
        code: 'validation_failed',
      });
    }
    // At the limit it fits: lengths count code points, as the column does.
    await login(t, email, { device: { id: 'phone-device-0003', name: '😀'.repeat(100) } });
  });

  it('an email that grows past 254 characters under NFKC is a 400 everywhere', async () => {
    // "ﷺ" is one character and 18 after NFKC.
    const email = `${'ﷺ'.repeat(14)}@example.com`;
    expect(email.length).toBeLessThanOrEqual(254);
    expect(email.normalize('NFKC').length).toBeGreaterThan(254);
    const registered = await t.http.post('/auth/register').send({ email, password: PASSWORD });
    expect(registered.status).toBe(400);
    const signIn = await t.http.post('/auth/login').send({ email, password: PASSWORD });
    expect([400, 401]).toContain(signIn.status);
    const forgot = await t.http.post('/auth/password/forgot').send({ email });
    expect(forgot.status).toBeLessThan(500);
  });
});
