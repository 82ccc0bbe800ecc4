import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

const HSTS = { maxAge: 31_536_000, includeSubDomains: true };

/** The API answers JSON only: it loads nothing and may be framed by no one. */
const apiHeaders = helmet({
  hsts: HSTS,
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  },
});

/** Swagger UI needs its own scripts, styles and images (helmet's default policy allows them). */
const docsHeaders = helmet({
  hsts: HSTS,
  contentSecurityPolicy: { directives: { frameAncestors: ["'none'"] } },
});

/** The account page (/account): its own scripts, styles and API calls; nothing inline. */
const accountPageHeaders = helmet({
  hsts: HSTS,
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'"],
      connectSrc: ["'self'"],
      formAction: ["'self'"],
      baseUri: ["'none'"],
      frameAncestors: ["'none'"],
    },
  },
});

function isAccountPage(path: string): boolean {
  return path === '/account' || path.startsWith('/account/');
}

function isDocs(path: string): boolean {
  return path === '/docs' || path.startsWith('/docs/');
}

/**
 * Security headers for every response: helmet (HSTS one year) with a locked-down CSP except on
 * /docs, and `Cache-Control: no-store` by default so no authenticated answer (sessions, users,
 * audit, tokens) lands in a browser or proxy cache. Routes that are public and cacheable (the
 * JWKS) set their own Cache-Control, which replaces this default.
 */
export function securityHeaders(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    if (isDocs(req.path)) return docsHeaders(req, res, next);
    res.setHeader('Cache-Control', 'no-store');
    if (isAccountPage(req.path)) return accountPageHeaders(req, res, next);
    return apiHeaders(req, res, next);
  };
}
