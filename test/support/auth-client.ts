import type { TestApp } from './test-app';
import type { CookieJar } from './cookie-jar';

export interface TokenBody {
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  expiresIn: number;
  refreshExpiresIn: number;
  session: { id: string; device: { id: string } | null };
  user: { id: string; email: string };
}

let counter = 0;

/** A unique email per call, so tests never collide in a shared database. */
export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}.${process.pid}.${counter}.${Date.now()}@example.com`;
}

export const PASSWORD = 'correct horse battery staple';

export async function register(
  t: TestApp,
  email = uniqueEmail(),
  password = PASSWORD,
): Promise<{ id: string; email: string }> {
  const res = await t.http.post('/auth/register').send({ email, password }).expect(201);
  return res.body.user as { id: string; email: string };
}

export async function login(
  t: TestApp,
  email: string,
  extra: Record<string, unknown> = {},
  userAgent = 'TesseraTest/1.0',
): Promise<TokenBody> {
  const res = await t.http
    .post('/auth/login')
    .set('User-Agent', userAgent)
    .send({ email, password: PASSWORD, ...extra });
  if (res.status !== 200)
    throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as TokenBody;
}

/** Registers a fresh user and signs in (header mode). */
export async function signedInUser(
  t: TestApp,
  extra: Record<string, unknown> = {},
): Promise<TokenBody & { email: string }> {
  const email = uniqueEmail();
  await register(t, email);
  return { ...(await login(t, email, extra)), email };
}

export function bearer(token: string): [string, string] {
  return ['Authorization', `Bearer ${token}`];
}

/** Signs `email` in in cookie mode (a browser): the cookies land in `jar`. */
export async function cookieLogin(
  t: TestApp,
  email: string,
  jar: CookieJar,
): Promise<{ csrfToken: string; sessionId: string }> {
  const res = await t.http
    .post('/auth/login')
    .set('X-Auth-Mode', 'cookie')
    .set('Cookie', jar.header())
    .send({ email, password: PASSWORD })
    .expect(200);
  jar.apply(res);
  return { csrfToken: res.body.csrfToken as string, sessionId: res.body.session.id as string };
}
