import type { INestApplication } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { AppConfig } from '../../config/app-config';
import { problemFor, sendProblem } from '../../common/problem-details';
import { RevocationView } from '../../sessions/revocation-view.service';
import { UsersService } from '../../users/users.service';
import { AccessTokenService } from '../tokens/access-token.service';
import { AuthCookies } from '../browser/auth-cookies';

/**
 * DOCS_ACCESS=admin: the Swagger UI and the OpenAPI document only for signed-in admins (bearer
 * header, or the access cookie of a browser signed in with cookie mode). Swagger's routes are
 * plain Express routes, outside Nest's guards, hence a middleware.
 */
export function docsAdminOnly(app: INestApplication) {
  const tokens = app.get(AccessTokenService);
  const revocations = app.get(RevocationView);
  const users = app.get(UsersService);
  const cookies = new AuthCookies(app.get(AppConfig));
  return (req: Request, res: Response, next: NextFunction): void => {
    const header = /^Bearer (\S+)$/.exec(req.header('authorization') ?? '')?.[1];
    const token = header ?? cookies.access(req);
    const result = token ? tokens.verify(token) : undefined;
    if (!result?.ok || revocations.statusOf(result.claims.sid)) {
      sendProblem(
        res,
        problemFor('unauthenticated', 'The API documentation is for administrators'),
      );
      return;
    }
    users.findById(result.claims.sub).then(
      (user) => {
        if (user && !user.locked && user.roles.includes('admin')) next();
        else
          sendProblem(res, problemFor('forbidden', 'The API documentation is for administrators'));
      },
      (error: unknown) => next(error),
    );
  };
}
