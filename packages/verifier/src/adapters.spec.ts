import { type ExecutionContext, HttpException } from '@nestjs/common';
import { VerifierError } from './errors';
import { tesseraAuth, type TesseraRequest, type TesseraResponse } from './express';
import { TesseraAuthGuard } from './nest';
import type { TesseraClaims, Verifier } from './verifier';

const CLAIMS = { sub: 'u1', sid: 's1', roles: ['user'], iss: 'tessera', exp: 2, iat: 1 };

/** A verifier that accepts only the token "good" and reports `code` for any other. */
function fakeVerifier(code: VerifierError['code'] = 'session_revoked'): Verifier {
  return {
    verify: (token) =>
      token === 'good'
        ? Promise.resolve(CLAIMS as TesseraClaims)
        : Promise.reject(new VerifierError(code)),
    ready: () => Promise.resolve(),
    close: () => undefined,
    feedFresh: true,
  };
}

function fakeResponse(): TesseraResponse & {
  statusCode?: number;
  headers: Record<string, string>;
  body?: string;
} {
  const res = {
    headers: {} as Record<string, string>,
    statusCode: undefined as number | undefined,
    body: undefined as string | undefined,
    status(code: number) {
      res.statusCode = code;
      return res;
    },
    setHeader(name: string, value: string) {
      res.headers[name] = value;
    },
    end(body?: string) {
      res.body = body;
    },
  };
  return res;
}

async function runMiddleware(
  verifier: Verifier,
  authorization?: string,
): Promise<{ req: TesseraRequest; res: ReturnType<typeof fakeResponse>; nextCalled: boolean }> {
  const req: TesseraRequest = { headers: { authorization } };
  const res = fakeResponse();
  let nextCalled = false;
  await new Promise<void>((done) => {
    res.end = (body?: string) => {
      res.body = body;
      done();
    };
    tesseraAuth(verifier)(req, res, () => {
      nextCalled = true;
      done();
    });
  });
  return { req, res, nextCalled };
}

describe('tesseraAuth (Express)', () => {
  it('puts the claims on req.tessera and continues', async () => {
    const { req, nextCalled } = await runMiddleware(fakeVerifier(), 'Bearer good');
    expect(nextCalled).toBe(true);
    expect(req.tessera).toEqual(CLAIMS);
  });

  it('answers 401 problem+json with the code and WWW-Authenticate', async () => {
    const { res, nextCalled } = await runMiddleware(fakeVerifier(), 'Bearer revoked');
    expect(nextCalled).toBe(false);
    expect(res.statusCode).toBe(401);
    expect(res.headers['Content-Type']).toBe('application/problem+json');
    expect(res.headers['WWW-Authenticate']).toMatch(/^Bearer error="invalid_token"/);
    expect(JSON.parse(res.body ?? '{}')).toMatchObject({ status: 401, code: 'session_revoked' });
  });

  it('answers 401 unauthenticated without a bearer token, and 503 for a stale feed', async () => {
    const missing = await runMiddleware(fakeVerifier(), undefined);
    expect(JSON.parse(missing.res.body ?? '{}')).toMatchObject({ code: 'unauthenticated' });
    const stale = await runMiddleware(fakeVerifier('revocation_feed_stale'), 'Bearer x');
    expect(stale.res.statusCode).toBe(503);
    expect(stale.res.headers['Retry-After']).toBe('5');
  });
});

describe('TesseraAuthGuard (NestJS)', () => {
  function context(authorization?: string): {
    ctx: ExecutionContext;
    req: TesseraRequest;
    res: ReturnType<typeof fakeResponse>;
  } {
    const req: TesseraRequest = { headers: { authorization } };
    const res = fakeResponse();
    const ctx = {
      switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }),
    } as unknown as ExecutionContext;
    return { ctx, req, res };
  }

  it('lets a valid token through with its claims on request.tessera', async () => {
    const { ctx, req } = context('Bearer good');
    await expect(new TesseraAuthGuard(fakeVerifier()).canActivate(ctx)).resolves.toBe(true);
    expect(req.tessera).toEqual(CLAIMS);
  });

  it('refuses with an HttpException carrying the problem details', async () => {
    const { ctx, res } = context('Bearer expired');
    const error = await new TesseraAuthGuard(fakeVerifier('token_expired'))
      .canActivate(ctx)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpException);
    expect((error as HttpException).getStatus()).toBe(401);
    expect((error as HttpException).getResponse()).toMatchObject({ code: 'token_expired' });
    expect(res.headers['WWW-Authenticate']).toContain('invalid_token');
  });
});
