import { generate } from 'otplib';
import { makeAdmin } from './events-helpers';
import { bearer, login, PASSWORD, register, type TokenBody, uniqueEmail } from './auth-client';
import type { TestApp } from './test-app';

/** For beforeAll hooks that make an admin: several password hashes, slow on a loaded machine. */
export const ADMIN_SETUP_TIMEOUT_MS = 120_000;

export interface AdminSession extends TokenBody {
  email: string;
  /** The admin's TOTP seed, to compute codes for step-up (POST /auth/reauth). */
  totpSecret: string;
  /** The recovery codes left (one was spent signing in). */
  recoveryCodes: string[];
}

/** The TOTP code of `secret` at the ManualClock's time (plus whole 30 s steps). */
export function totpCode(t: TestApp, secret: string, offsetSteps = 0): Promise<string> {
  return generate({ secret, epoch: Math.floor(t.clock.nowMs() / 1000) + offsetSteps * 30 });
}

/**
 * Enrols TOTP for a signed-in user through the HTTP routes; returns the seed and recovery codes.
 * Moves the clock to the start of a fresh 30 s step first, so the confirming code cannot
 * straddle a step boundary.
 */
export async function enrolTotp(
  t: TestApp,
  accessToken: string,
): Promise<{ secret: string; recoveryCodes: string[] }> {
  t.clock.set(Math.floor(t.clock.nowMs() / 30_000) * 30_000 + 30_000 + 1_000);
  const begun = await t.http.post('/me/mfa/totp').set(...bearer(accessToken));
  if (begun.status !== 201) throw new Error(`enrolment failed: ${begun.status}`);
  const secret = (begun.body as { secret: string }).secret;
  const confirmed = await t.http
    .post('/me/mfa/totp/confirm')
    .set(...bearer(accessToken))
    .send({ code: await totpCode(t, secret) });
  if (confirmed.status !== 200) throw new Error(`confirmation failed: ${confirmed.status}`);
  return { secret, recoveryCodes: (confirmed.body as { recoveryCodes: string[] }).recoveryCodes };
}

/**
 * An admin the way ADMIN_REQUIRE_MFA wants one: a user granted the admin role, with TOTP enrolled
 * through the HTTP routes, signed in with password and a second factor (a recovery code, so the
 * clock needs no advancing: the confirming TOTP code's step is spent). Header mode.
 */
export async function signedInAdmin(
  t: TestApp,
  email = uniqueEmail('admin'),
): Promise<AdminSession> {
  const { id } = await register(t, email);
  await makeAdmin(t, id);
  const first = await login(t, email);
  const { secret, recoveryCodes } = await enrolTotp(t, first.accessToken);
  const tokens = await loginWithSecondFactor(t, email, {
    method: 'recovery_code',
    code: recoveryCodes[0],
  });
  return { ...tokens, email, totpSecret: secret, recoveryCodes: recoveryCodes.slice(1) };
}

/** Password step (expects mfa_required), then the code: the token body. */
export async function loginWithSecondFactor(
  t: TestApp,
  email: string,
  factor: { method: 'totp' | 'recovery_code'; code: string },
): Promise<TokenBody> {
  const first = await t.http
    .post('/auth/login')
    .set('User-Agent', 'TesseraTest/1.0')
    .send({ email, password: PASSWORD });
  if (first.status !== 401 || first.body.code !== 'mfa_required') {
    throw new Error(`expected mfa_required: ${first.status} ${JSON.stringify(first.body)}`);
  }
  const second = await t.http
    .post('/auth/mfa/verify')
    .set('User-Agent', 'TesseraTest/1.0')
    .send({ mfaToken: first.body.mfaToken, ...factor });
  if (second.status !== 200) {
    throw new Error(`second factor refused: ${second.status} ${JSON.stringify(second.body)}`);
  }
  return second.body as TokenBody;
}

/** Step-up of an admin session with a TOTP code (moves the clock to a fresh step first). */
export async function reauthAdmin(t: TestApp, admin: AdminSession): Promise<AdminSession> {
  t.clock.advance(30_000);
  const res = await t.http
    .post('/auth/reauth')
    .set(...bearer(admin.accessToken))
    .send({ method: 'totp', code: await totpCode(t, admin.totpSecret) });
  if (res.status !== 200)
    throw new Error(`reauth failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...admin, accessToken: (res.body as { accessToken: string }).accessToken };
}
