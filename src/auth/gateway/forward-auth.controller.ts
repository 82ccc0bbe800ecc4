import { All, Controller, Get, HttpCode, Res, UseFilters } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExcludeEndpoint,
  ApiHeader,
  ApiNoContentResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiProblemResponses } from '../../common/api-problem.decorator';
import { type AuthContext, CurrentAuth } from '../../common/auth-context';
import { CsrfOnOriginalMethod } from '../guards/original-method';
import { FORWARD_AUTH_ERROR_HEADER, FORWARD_AUTH_HEADERS } from './forward-auth-headers';
import { ForwardAuthProblemFilter } from './forward-auth-problem.filter';
import { ForwardAuthService } from './forward-auth.service';

const IDENTITY_HEADERS = {
  [FORWARD_AUTH_HEADERS.userId]: {
    description: 'The user id (the token’s sub)',
    schema: { type: 'string', format: 'uuid' },
  },
  [FORWARD_AUTH_HEADERS.sessionId]: {
    description: 'The session id (the token’s sid)',
    schema: { type: 'string', format: 'uuid' },
  },
  [FORWARD_AUTH_HEADERS.roles]: {
    description: 'The token’s roles as a comma list (empty when none)',
    schema: { type: 'string', example: 'user,admin' },
  },
};

/**
 * Forward authentication for gateways (nginx auth_request, Traefik ForwardAuth, Envoy
 * ext_authz). The global access-token guard does all the work from memory (cached token
 * verification, the revocation view, CSRF on the original method, the coalesced activity note):
 * the handler only copies the verified identity into headers, and answers without a body.
 * GET /auth/verify itself is answered before Nest's pipeline by ForwardAuthService.fastPath
 * (the same check); these routes document it and serve the other spellings of the path.
 */
@ApiTags('auth')
@Controller('auth')
export class ForwardAuthController {
  constructor(private readonly forwardAuth: ForwardAuthService) {}

  @Get('verify')
  @HttpCode(204)
  @CsrfOnOriginalMethod()
  @UseFilters(ForwardAuthProblemFilter)
  @ApiBearerAuth('bearer')
  @ApiOperation({
    summary: 'Forward authentication: is this bearer token or cookie signed in?',
    description:
      'For nginx `auth_request`, Traefik ForwardAuth and Envoy ext_authz (which sends the ' +
      'original method: every method is answered alike). No database query ' +
      'per call; a revoked session is refused at once. Counts as activity for the idle ' +
      'timeout. In cookie mode, when X-Forwarded-Method or X-Original-Method names an unsafe ' +
      'method (anything but GET, HEAD, OPTIONS), X-CSRF-Token is required. Refusals also ' +
      `carry their code in ${FORWARD_AUTH_ERROR_HEADER}. See deploy/nginx-gateway.conf.`,
  })
  @ApiHeader({
    name: 'X-Forwarded-Method',
    required: false,
    description: 'The original request’s method (Traefik)',
  })
  @ApiHeader({
    name: 'X-Original-Method',
    required: false,
    description: 'The original request’s method (nginx)',
  })
  @ApiHeader({
    name: 'X-CSRF-Token',
    required: false,
    description: 'Cookie mode: the csrfToken from login (required for an unsafe original method)',
  })
  @ApiNoContentResponse({
    description: 'Signed in; the identity is in the response headers',
    headers: IDENTITY_HEADERS,
  })
  @ApiProblemResponses(401, 'csrf_failed')
  verify(@CurrentAuth() auth: AuthContext, @Res({ passthrough: true }) res: Response): void {
    this.forwardAuth.identify(auth, res);
  }

  /**
   * Envoy's HTTP ext_authz sends the check with the original request's method (path_override
   * points it here), so any method is accepted; the guard's CSRF rule then reads that method
   * itself. Documented as the GET above only.
   */
  @All('verify')
  @HttpCode(204)
  @CsrfOnOriginalMethod()
  @UseFilters(ForwardAuthProblemFilter)
  @ApiExcludeEndpoint()
  verifyAnyMethod(
    @CurrentAuth() auth: AuthContext,
    @Res({ passthrough: true }) res: Response,
  ): void {
    this.forwardAuth.identify(auth, res);
  }
}
