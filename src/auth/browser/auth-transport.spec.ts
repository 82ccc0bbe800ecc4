import type { CookieOptions, Request, Response } from 'express';
import { loadConfig } from '../../config/app-config';
import type { SessionView } from '../../sessions/session-views';
import type { UserView } from '../../users/users.service';
import type { SessionTokens } from '../auth.service';
import { AuthTransport, wantsCookieMode } from './auth-transport';

/** Records what the transport does to a response. */
class FakeResponse {
  readonly headers = new Map<string, string>();
  readonly cookies = new Map<string, { value: string; options: CookieOptions }>();

  setHeader(name: string, value: string): this {
    this.headers.set(name, value);
    return this;
  }

  cookie(name: string, value: string, options: CookieOptions): this {
    this.cookies.set(name, { value, options });
    return this;
  }

  asResponse(): Response {
    return this as unknown as Response;
  }
}

function makeRequest(headers: Record<string, string>): Request {
  return { header: (name: string) => headers[name.toLowerCase()] } as unknown as Request;
}

function makeTokens(overrides: Partial<SessionTokens> = {}): SessionTokens {
  return {
    accessToken: 'access.jwt',
    tokenType: 'Bearer',
    accessExpiresAt: new Date('2026-11-26T12:15:00Z'),
    refreshToken: 'refresh-opaque',
    refreshExpiresAt: new Date('2026-11-26T12:30:00Z'),
    csrfToken: 'csrf-token',
    expiresIn: 900,
    refreshExpiresIn: 1800,
    session: { id: 'session-1' } as SessionView,
    user: { id: 'user-1' } as UserView,
    ...overrides,
  };
}

describe('wantsCookieMode', () => {
  it('is chosen by the X-Auth-Mode header, case-insensitively', () => {
    expect(wantsCookieMode(makeRequest({ 'x-auth-mode': 'Cookie' }))).toBe(true);
    expect(wantsCookieMode(makeRequest({ 'x-auth-mode': 'token' }))).toBe(false);
    expect(wantsCookieMode(makeRequest({}))).toBe(false);
  });
});

describe('AuthTransport', () => {
  const sut = new AuthTransport(loadConfig({}));

  it('body mode: tokens in the body, no cookies, never cached', () => {
    const res = new FakeResponse();
    const body = sut.respond(res.asResponse(), makeTokens(), false);
    expect(body).toMatchObject({
      accessToken: 'access.jwt',
      refreshToken: 'refresh-opaque',
      tokenType: 'Bearer',
    });
    expect(body).not.toHaveProperty('csrfToken');
    expect(res.cookies.size).toBe(0);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
  });

  it('cookie mode: tokens only as __Host- cookies, the body carries the CSRF token', () => {
    const res = new FakeResponse();
    const body = sut.respond(res.asResponse(), makeTokens(), true);
    expect(body).toMatchObject({ csrfToken: 'csrf-token', tokenType: 'Bearer' });
    expect(body).not.toHaveProperty('accessToken');
    expect(body).not.toHaveProperty('refreshToken');
    expect(res.cookies.get('__Host-tessera_at')?.value).toBe('access.jwt');
    expect(res.cookies.get('__Host-tessera_rt')).toMatchObject({
      value: 'refresh-opaque',
      options: { httpOnly: true, secure: true },
    });
    expect(res.headers.get('Cache-Control')).toBe('no-store');
  });

  it('cookie mode sets the device cookie only when login minted one', () => {
    const withDevice = new FakeResponse();
    sut.respond(withDevice.asResponse(), makeTokens({ deviceCookie: 'device-1' }), true);
    expect(withDevice.cookies.get('__Host-tessera_did')?.value).toBe('device-1');
    const without = new FakeResponse();
    sut.respond(without.asResponse(), makeTokens(), true);
    expect(without.cookies.has('__Host-tessera_did')).toBe(false);
  });

  it('clear: expires both token cookies, keeps the device cookie, no Clear-Site-Data', () => {
    const res = new FakeResponse();
    sut.clear(res.asResponse());
    expect(res.cookies.get('__Host-tessera_at')?.options.maxAge).toBe(0);
    expect(res.cookies.get('__Host-tessera_rt')?.options.maxAge).toBe(0);
    expect(res.cookies.has('__Host-tessera_did')).toBe(false);
    expect(res.headers.has('Clear-Site-Data')).toBe(false);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
  });
});
