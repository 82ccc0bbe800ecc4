import { Catch, Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppException } from '../../common/app.exception';
import { ProblemDetailsFilter } from '../../common/problem-details.filter';
import { FORWARD_AUTH_ERROR_HEADER } from './forward-auth-headers';

/**
 * The usual problem+json answer, plus the contract code as a header: a gateway (nginx
 * auth_request, Traefik, Envoy) drops the verify body but can copy a header, so a client behind
 * it still learns token_expired (refresh) from session_revoked (sign in again).
 */
@Catch()
@Injectable()
export class ForwardAuthProblemFilter extends ProblemDetailsFilter {
  override respond(exception: unknown, req: Request, res: Response): void {
    if (exception instanceof AppException) {
      res.setHeader(FORWARD_AUTH_ERROR_HEADER, exception.code);
    }
    super.respond(exception, req, res);
  }
}
