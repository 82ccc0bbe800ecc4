import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AuthContext, AuthenticatedRequest } from '../common/auth-context';
import { isPlainRequestFor } from '../common/plain-request';
import { AuthService } from './auth.service';
import { CsrfService } from './browser/csrf.service';
import type { MeResponseDto } from './dto/token-response.dto';
import { AccessTokenGuard } from './guards/access-token.guard';

/** The path of the cheapest authenticated call (pages and apps ask it on every load). */
export const CURRENT_USER_PATH = '/auth/me';

/** What Express sets as req.route on the Nest route: metrics and the access log label by it. */
const CURRENT_USER_ROUTE = { path: CURRENT_USER_PATH };

/**
 * GET /auth/me, for the Nest route (AuthController.me) and for `fastPath`, which answers a
 * signed-in `GET /auth/me` in the global middleware chain, after request id, access log,
 * metrics, security headers and CORS, but before the body parsers and Nest's router, guards and
 * pipes: on this route they cost more than the answer, which is usually in memory
 * (CurrentSessionCache). The check is the global guard's own `authenticate`; the route has no
 * @Public, roles or step-up marker for the other guards to act on. Every refusal or failure
 * goes on to the Nest route, which answers it, so problems are written in one place.
 */
@Injectable()
export class CurrentUserService {
  constructor(
    private readonly auth: AuthService,
    private readonly csrf: CsrfService,
    private readonly guard: AccessTokenGuard,
  ) {}

  /** The user and session; by cookie also the csrfToken, for a page that reloaded. */
  async describe(auth: AuthContext): Promise<MeResponseDto> {
    const me = await this.auth.me(auth);
    return auth.transport === 'cookie'
      ? { ...me, csrfToken: this.csrf.tokenFor(auth.sessionId) }
      : me;
  }

  readonly fastPath: RequestHandler = (req: Request, res: Response, next: NextFunction): void => {
    if (req.method !== 'GET' || !isPlainRequestFor(req, CURRENT_USER_PATH)) {
      next();
      return;
    }
    this.guard
      .authenticate(req as AuthenticatedRequest, false)
      .then((auth) => this.describe(auth))
      .then(
        (body) => {
          req.route = CURRENT_USER_ROUTE;
          res.status(200).json(body);
        },
        () => next(),
      );
  };
}
