import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AuthContext } from '../../common/auth-context';
import { isPlainRequestFor } from '../../common/plain-request';
import { AccessTokenGuard } from '../guards/access-token.guard';
import { forwardAuthHeaders } from './forward-auth-headers';
import { ForwardAuthProblemFilter } from './forward-auth-problem.filter';

/** The path gateways call (nginx, Traefik and Envoy send it without a query string). */
export const FORWARD_AUTH_PATH = '/auth/verify';

/** What Express sets as req.route on the Nest route: metrics and the access log label by it. */
const FORWARD_AUTH_ROUTE = { path: FORWARD_AUTH_PATH };

/**
 * Forward authentication, shared by the documented Nest route (ForwardAuthController) and
 * `fastPath`, which answers GET /auth/verify (every method: Envoy sends the original one) in
 * the global middleware chain after the security headers, so request id, access log, metrics,
 * security headers and CORS still apply. It skips the body parsers (there is no body) and Nest's
 * router, guards and pipes: on this, the busiest route, they cost more than the check itself
 * (docs/benchmarks.md). The
 * check is the global guard's own `authenticate`, with the route's @CsrfOnOriginalMethod();
 * the route has no @Public, roles or step-up marker for the other guards to act on.
 */
@Injectable()
export class ForwardAuthService {
  constructor(
    private readonly guard: AccessTokenGuard,
    private readonly problems: ForwardAuthProblemFilter,
  ) {}

  /** The signed-in answer: the identity headers (the status is 204, no body). */
  identify(auth: AuthContext, res: Response): void {
    for (const [name, value] of Object.entries(forwardAuthHeaders(auth))) {
      res.setHeader(name, value);
    }
  }

  readonly fastPath: RequestHandler = (req: Request, res: Response, next: NextFunction): void => {
    if (!isPlainRequestFor(req, FORWARD_AUTH_PATH)) {
      next();
      return;
    }
    req.route = FORWARD_AUTH_ROUTE;
    this.guard.authenticate(req, true).then(
      (auth) => {
        this.identify(auth, res);
        res.statusCode = 204;
        res.end();
      },
      (error: unknown) => this.problems.respond(error, req, res),
    );
  };
}
