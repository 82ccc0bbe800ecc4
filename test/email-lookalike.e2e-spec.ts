import { PASSWORD } from './support/auth-client';
import { createTestApp, type TestApp } from './support/test-app';

/**
 * Issue 10: look-alike emails (Cyrillic letters, zero-width and bidi characters) registered as
 * new accounts, and an email that grows under NFKC past the column gave a 500.
 */
describe('look-alike and overflowing emails', () => {
  let t: TestApp;
  const tag = `${process.pid}x${Date.now().toString(36)}`;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const registerAs = (email: string) =>
    t.http.post('/auth/register').send({ email, password: PASSWORD });

  it('refuses a Cyrillic look-alike of a registered email with 409 email_taken', async () => {
    await registerAs(`paypal.${tag}@example.com`).expect(201);
    const res = await registerAs(`p\u0430ypal.${tag}@example.com`).expect(409);
    expect(res.body.code).toBe('email_taken');
    // Mixed scripts in both parts, and full-width letters, are the same identity too.
    await registerAs(`\u0440\u0430yp\u0430l.${tag}@ex\u0430mple.com`).expect(409);
    await registerAs(`ｐａｙｐａｌ.${tag}@example.com`).expect(409);
  });

  it.each([
    ['zero-width space', '\u200b'],
    ['zero-width joiner', '\u200d'],
    ['right-to-left override', '\u202e'],
    ['soft hyphen', '\u00ad'],
  ])('refuses an email with a %s (400 validation_failed)', async (_name, char) => {
    const res = await registerAs(`pay${char}pal.${tag}.zw@example.com`).expect(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('validation_failed');
  });

  it('answers 400, not 500, for an email that grows past 254 characters under NFKC', async () => {
    const res = await registerAs(`${'\ufdfa'.repeat(14)}.${tag}@example.com`);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
  });

  it('stores the skeleton of new accounts', async () => {
    const email = `skeleton.${tag}@example.com`;
    await registerAs(email).expect(201);
    const rows = await t.dataSource.query<Array<{ email_skeleton: string | null }>>(
      `SELECT email_skeleton FROM users WHERE email_normalized = $1`,
      [email],
    );
    expect(rows[0]?.email_skeleton).toBeTruthy();
  });
});
