import cookieParser from 'cookie-parser';
import type { CookieOptions, Request, Response } from 'express';
import type { AppConfig } from '../../config/app-config';

export interface CookieNames {
  access: string;
  refresh: string;
  device: string;
}

/**
 * `__Host-` cookies (Secure, Path=/, no Domain) unless COOKIE_SECURE=false, which only an explicit
 * development configuration may set: the prefix requires Secure.
 */
export function cookieNames(config: AppConfig): CookieNames {
  const prefix = config.cookieSecure ? '__Host-' : '';
  return {
    access: `${prefix}tessera_at`,
    refresh: `${prefix}tessera_rt`,
    device: `${prefix}tessera_did`,
  };
}

/** Same shape as the device.id a client may send (login and refresh DTOs). */
const DEVICE_ID_PATTERN = /^[\w.:-]{8,100}$/;
const DEVICE_COOKIE_MAX_AGE_MS = 400 * 86_400_000; // browsers cap cookie lifetimes at 400 days

export class AuthCookies {
  readonly names: CookieNames;

  constructor(private readonly config: AppConfig) {
    this.names = cookieNames(config);
  }

  private base(sameSite: 'lax' | 'strict'): CookieOptions {
    return { httpOnly: true, secure: this.config.cookieSecure, sameSite, path: '/' };
  }

  setTokens(
    res: Response,
    tokens: {
      accessToken: string;
      accessExpiresAt: Date;
      refreshToken: string;
      refreshExpiresAt: Date;
    },
  ): void {
    this.setAccess(res, tokens);
    res.cookie(this.names.refresh, tokens.refreshToken, {
      ...this.base('strict'),
      expires: tokens.refreshExpiresAt,
    });
  }

  /** A step-up's new access token; the refresh cookie is unchanged. */
  setAccess(
    res: Response,
    tokens: { accessToken: string; accessExpiresAt: Date; refreshExpiresAt?: Date },
  ): void {
    // The access cookie outlives its token (until the refresh cookie goes): a browser that
    // dropped it at the token's exp would send nothing and get `unauthenticated`, where the
    // contract answers `token_expired` (refresh) in both transports. The JWT's exp still rules.
    const expiresMs = Math.max(
      tokens.accessExpiresAt.getTime(),
      tokens.refreshExpiresAt?.getTime() ?? 0,
    );
    res.cookie(this.names.access, tokens.accessToken, {
      ...this.base('lax'),
      expires: new Date(expiresMs),
    });
  }

  setDevice(res: Response, deviceCookie: string): void {
    res.cookie(this.names.device, deviceCookie, {
      ...this.base('lax'),
      maxAge: DEVICE_COOKIE_MAX_AGE_MS,
    });
  }

  /** Same names and attributes, Max-Age=0, so every browser drops them. */
  clearTokens(res: Response): void {
    res.cookie(this.names.access, '', { ...this.base('lax'), maxAge: 0 });
    res.cookie(this.names.refresh, '', { ...this.base('strict'), maxAge: 0 });
  }

  access(req: Request): string | undefined {
    return readCookie(req, this.names.access);
  }

  refresh(req: Request): string | undefined {
    return readCookie(req, this.names.refresh);
  }

  /**
   * The device cookie, when it has the shape of an id (what we mint, `web:` + 24 characters, or
   * an app's device.id). Anything else (200 characters, odd bytes) is ignored rather than
   * refused: the browser then gets a fresh cookie at its next login instead of being locked out
   * until it clears cookies, and nothing over-long reaches the client_device_id column.
   */
  device(req: Request): string | undefined {
    const value = readCookie(req, this.names.device);
    return value !== undefined && DEVICE_ID_PATTERN.test(value) ? value : undefined;
  }
}

/**
 * Cookies are parsed when first read, not by a global middleware: most requests carry a bearer
 * token and never look at them (the parse was a few per cent of GET /auth/verify).
 */
const parseCookies = cookieParser();

function readCookie(req: Request, name: string): string | undefined {
  if (req.cookies === undefined)
    parseCookies(req, undefined as unknown as Response, () => undefined);
  const cookies = req.cookies as Record<string, unknown> | undefined;
  const value = cookies?.[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}
