import type { Request, Response } from 'express';
import type { AppConfig } from '../../config/app-config';
import { AuthCookies } from './auth-cookies';
import type { SessionTokens } from '../auth.service';
import type { TokenResponseDto } from '../dto/token-response.dto';

/** Browsers ask for cookie mode on login; everything else gets tokens in the body. */
export function wantsCookieMode(req: Request): boolean {
  return (req.header('x-auth-mode') ?? '').toLowerCase() === 'cookie';
}

/**
 * Shapes a token response for its transport. Cookie mode: tokens only as cookies, never in
 * the body; the body carries the CSRF token. Always `no-store`.
 */
export class AuthTransport {
  readonly cookies: AuthCookies;

  constructor(config: AppConfig) {
    this.cookies = new AuthCookies(config);
  }

  respond(res: Response, tokens: SessionTokens, cookieMode: boolean): TokenResponseDto {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Pragma', 'no-cache');
    const common = {
      tokenType: tokens.tokenType,
      expiresIn: tokens.expiresIn,
      refreshExpiresIn: tokens.refreshExpiresIn,
      session: tokens.session,
      user: tokens.user,
    };
    if (!cookieMode) {
      return { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken, ...common };
    }
    this.cookies.setTokens(res, tokens);
    if (tokens.deviceCookie) this.cookies.setDevice(res, tokens.deviceCookie);
    return { csrfToken: tokens.csrfToken, ...common };
  }

  /**
   * Logout: drop the token cookies (same names and attributes, Max-Age=0). No Clear-Site-Data:
   * it would also wipe the frontend's own storage and the device cookie, so the next sign-in
   * would look like a new device (contract v2). The device cookie is kept on purpose.
   */
  clear(res: Response): void {
    this.cookies.clearTokens(res);
    res.setHeader('Cache-Control', 'no-store');
  }
}
