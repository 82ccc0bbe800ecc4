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

/**
 * The headers a helmet middleware sets, computed once at start: all of ours are static, and
 * helmet otherwise runs a chain of a dozen middleware per request to set the same values.
 */
function staticHeaders(middleware: RequestHandler): ReadonlyArray<readonly [string, string]> {
  const headers: Array<[string, string]> = [];
  const recorder = {
    setHeader: (name: string, value: unknown) => {
      headers.push([name, String(value)]);
    },
    removeHeader: () => undefined,
  };
  let called = false;
  middleware({} as Request, recorder as unknown as Response, () => {
    called = true;
  });
  if (!called) throw new Error('security headers: helmet did not finish synchronously');
  return headers;
}

function setAll(res: Response, headers: ReadonlyArray<readonly [string, string]>): void {
  for (const [name, value] of headers) res.setHeader(name, value);
}

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
  const api = staticHeaders(apiHeaders);
  const docs = staticHeaders(docsHeaders);
  const accountPage = staticHeaders(accountPageHeaders);
  return (req: Request, res: Response, next: NextFunction) => {
    const path = req.path;
    if (isDocs(path)) {
      setAll(res, docs);
      return next();
    }
    res.setHeader('Cache-Control', 'no-store');
    setAll(res, isAccountPage(path) ? accountPage : api);
    next();
  };
}
