import { Body, Controller, Header, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import {
  ApiConsumes,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import { ApiProblemResponses } from '../../common/api-problem.decorator';
import { PROBLEM_CONTENT_TYPE } from '../../common/problem-details';
import type { Request, Response } from 'express';
import { AppException } from '../../common/app.exception';
import { ClientMeta, type RequestMeta } from '../../common/auth-context';
import { Public } from '../../common/public.decorator';
import { AuthThrottlerGuard, RefreshRateLimit } from '../throttling/auth-throttler.guard';
import { AuthService } from '../auth.service';
import { OAuthTokenDto, OAuthTokenReferenceDto } from '../dto/oauth.dto';
import {
  IntrospectionResponseDto,
  OAuthProblemDetailsDto,
  OAuthTokenResponseDto,
} from '../dto/oauth-response.dto';
import { AppConfig } from '../../config/app-config';
import { DPOP_NONCE_HEADER, DpopService } from '../dpop/dpop.service';
import { AccessTokenService } from '../tokens/access-token.service';
import { endpointUrl } from './endpoint-url';
import { GrantTypeGuard } from './grant-type.guard';
import { type Introspection, OAuthService } from './oauth.service';
import { invalidClient, ServiceClientAuthenticator } from './service-client-authenticator';
import { AllowAdminUserToken, RequireServiceScope } from './service-client.guard';

/**
 * The standards face of the same session model: RFC 6749 §6 refresh, RFC 7009 revocation,
 * RFC 7662 introspection. Errors stay problem+json and also carry the RFC `error` member, so
 * OAuth client libraries understand them.
 */
/** Codes a refused refresh grant keeps in `code`, answered as 400 with `error: invalid_grant`. */
const GRANT_CODES = [
  'refresh_token_invalid',
  'refresh_token_reused',
  'session_revoked',
  'session_expired',
] as const;

@ApiTags('operations')
@ApiExtraModels(OAuthProblemDetailsDto)
@Controller('oauth')
export class OAuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly oauth: OAuthService,
    private readonly dpop: DpopService,
    private readonly authenticator: ServiceClientAuthenticator,
    private readonly tokens: AccessTokenService,
    private readonly config: AppConfig,
  ) {}

  @Public()
  @Post('token')
  @HttpCode(200)
  @UseGuards(AuthThrottlerGuard, GrantTypeGuard)
  @RefreshRateLimit()
  @Header('Cache-Control', 'no-store')
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiOperation({
    summary: 'Token endpoint (refresh_token, RFC 6749 §6; client_credentials, §4.4)',
    description:
      'refresh_token rotates the refresh token like POST /auth/refresh. A refused grant answers ' +
      '400 with problem details that also carry `error: invalid_grant` and `error_description`. ' +
      'client_credentials: a service client (client_secret_basic, client_secret_post or ' +
      'private_key_jwt) gets a short-lived access token for the service routes (no refresh ' +
      'token); wrong client credentials answer 401 `error: invalid_client`.',
  })
  @ApiOkResponse({
    type: OAuthTokenResponseDto,
    description: 'RFC 6749 §5.1 token response (Cache-Control: no-store)',
  })
  @ApiResponse({
    status: 400,
    description:
      'Invalid request (code validation_failed; with error unsupported_grant_type for any ' +
      'grant_type but refresh_token and client_credentials, RFC 6749 §5.2; with error ' +
      'invalid_scope for a scope the client does not hold), or a refused grant (error invalid_grant; ' +
      `code ${GRANT_CODES.join(' | ')})`,
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: {
          allOf: [
            { $ref: getSchemaPath(OAuthProblemDetailsDto) },
            {
              type: 'object',
              properties: {
                status: { enum: [400] },
                code: { enum: ['validation_failed', ...GRANT_CODES] },
              },
            },
          ],
        },
        examples: {
          invalid_grant: {
            summary: 'refresh_token_reused',
            value: {
              type: 'urn:tessera:problem:refresh_token_reused',
              title: 'The refresh token was already used',
              status: 400,
              detail: 'The refresh token was already used',
              code: 'refresh_token_reused',
              requestId: '2b0e7c56-3b1a-4d8e-9a43-6a1f0f3b7c11',
              error: 'invalid_grant',
              error_description: 'The refresh token was already used',
            },
          },
          validation_failed: {
            summary: 'validation_failed',
            value: {
              type: 'urn:tessera:problem:validation_failed',
              title: 'The request is not valid',
              status: 400,
              detail: 'The request is not valid',
              code: 'validation_failed',
              errors: [
                {
                  field: 'grant_type',
                  messages: ['only refresh_token and client_credentials are supported'],
                },
              ],
              requestId: '2b0e7c56-3b1a-4d8e-9a43-6a1f0f3b7c11',
            },
          },
        },
      },
    },
  })
  @ApiProblemResponses('invalid_client', 413, 429, 503)
  async token(
    @Body() dto: OAuthTokenDto,
    @ClientMeta() meta: RequestMeta,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<Record<string, unknown>> {
    if (dto.grant_type === 'client_credentials') return this.clientCredentials(dto, req);
    res.setHeader(DPOP_NONCE_HEADER, this.dpop.freshNonce());
    const dpopJkt = await this.dpop.atTokenEndpoint(req);
    try {
      const tokens = await this.auth.refresh(dto.refresh_token ?? '', { ...meta, dpopJkt });
      return {
        access_token: tokens.accessToken,
        token_type: tokens.tokenType,
        expires_in: tokens.expiresIn,
        refresh_token: tokens.refreshToken,
        refresh_token_expires_in: tokens.refreshExpiresIn,
      };
    } catch (error) {
      if (
        error instanceof AppException &&
        error.code !== 'service_unavailable' &&
        error.code !== 'rate_limited'
      ) {
        throw new AppException(error.code, error.detail, {
          ...error.extras,
          rfc6749Error: error.code === 'invalid_dpop_proof' ? error.code : 'invalid_grant',
        });
      }
      throw error;
    }
  }

  /** RFC 6749 §4.4: a service token, narrowed to the requested scopes (RFC 6749 §3.3). */
  private async clientCredentials(
    dto: OAuthTokenDto,
    req: Request,
  ): Promise<Record<string, unknown>> {
    const caller = await this.authenticator.authenticate(req, this.endpoint('token'));
    if (!caller) throw invalidClient('client_credentials needs client authentication');
    const requested = (dto.scope ?? '').split(' ').filter((scope) => scope !== '');
    const unheld = requested.filter((scope) => !(caller.scopes as string[]).includes(scope));
    if (unheld.length > 0) {
      throw new AppException('validation_failed', `The client does not hold ${unheld.join(' ')}`, {
        errors: [{ field: 'scope', messages: ['names a scope the client does not hold'] }],
        rfc6749Error: 'invalid_scope',
      });
    }
    const scopes = requested.length > 0 ? [...new Set(requested)] : [...caller.scopes];
    const issued = this.tokens.issueService({ clientId: caller.clientId, scopes });
    return {
      access_token: issued.token,
      token_type: 'Bearer',
      expires_in: issued.expiresIn,
      scope: scopes.join(' '),
    };
  }

  private endpoint(name: string): string {
    return endpointUrl(this.config, `/oauth/${name}`);
  }

  @Public()
  @Post('revoke')
  @HttpCode(200)
  @UseGuards(AuthThrottlerGuard)
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiOperation({
    summary: 'Revoke a refresh or access token, ending its session (RFC 7009)',
    description:
      'The holder of a token may revoke it without client authentication (public clients). A ' +
      'service client with scope tokens:revoke may revoke any token it presents, authenticating ' +
      'as at the token endpoint; wrong client credentials answer 401 `error: invalid_client`. ' +
      'An unknown or already invalid token is not an error (RFC 7009 §2.2).',
  })
  @ApiOkResponse({ description: 'Revoked (or nothing to revoke); empty body' })
  @ApiProblemResponses(400, 'invalid_client', 'insufficient_scope', 413, 429)
  async revoke(
    @Body() dto: OAuthTokenReferenceDto,
    @ClientMeta() meta: RequestMeta,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    const caller = await this.authenticator.authenticate(req, this.endpoint('revoke'));
    if (caller && !caller.scopes.includes('tokens:revoke')) {
      throw new AppException('insufficient_scope', 'Revoking as a client needs tokens:revoke', {
        members: { error: 'insufficient_scope' },
      });
    }
    await this.oauth.revoke(dto.token, meta);
    res.setHeader('Cache-Control', 'no-store');
  }

  @Post('introspect')
  @HttpCode(200)
  @RequireServiceScope('tokens:introspect')
  @AllowAdminUserToken()
  @Header('Cache-Control', 'no-store')
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiOperation({
    summary: 'Token introspection for resource servers (RFC 7662; service scope tokens:introspect)',
    description:
      'The caller is a service client with scope tokens:introspect: client authentication ' +
      '(client_secret_basic, client_secret_post, private_key_jwt) or its client_credentials ' +
      'access token as Bearer. Deprecated: an admin user access token is still accepted.',
  })
  @ApiOkResponse({
    type: IntrospectionResponseDto,
    description:
      'An inactive (invalid, expired or revoked) token answers only `{ "active": false }`',
  })
  @ApiProblemResponses(400, 401, 'invalid_client', 403, 'insufficient_scope', 413)
  introspect(@Body() dto: OAuthTokenReferenceDto): Promise<Introspection> {
    return this.oauth.introspect(dto.token);
  }
}
