import { type ArgumentsHost, Catch, Injectable } from '@nestjs/common';
import type { Response } from 'express';
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
  override catch(exception: unknown, host: ArgumentsHost): void {
    if (exception instanceof AppException) {
      host
        .switchToHttp()
        .getResponse<Response>()
        .setHeader(FORWARD_AUTH_ERROR_HEADER, exception.code);
    }
    super.catch(exception, host);
  }
}
