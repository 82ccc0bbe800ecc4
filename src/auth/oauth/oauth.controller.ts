import { Body, Controller, Header, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { AppException } from '../../common/app.exception';
import { ClientMeta, type RequestMeta } from '../../common/auth-context';
import { Public } from '../../common/public.decorator';
import { AuthThrottlerGuard, RefreshRateLimit } from '../auth-throttler.guard';
import { AuthService } from '../auth.service';
import { OAuthTokenDto, OAuthTokenReferenceDto } from '../dto/oauth.dto';
import { Roles } from '../roles.decorator';
import { type Introspection, OAuthService } from './oauth.service';

/**
 * The standards face of the same session model: RFC 6749 §6 refresh, RFC 7009 revocation,
 * RFC 7662 introspection. Errors stay problem+json and also carry the RFC `error` member, so
 * OAuth client libraries understand them.
 */
@ApiTags('operations')
@Controller('oauth')
export class OAuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly oauth: OAuthService,
  ) {}

  @Public()
  @Post('token')
  @HttpCode(200)
  @UseGuards(AuthThrottlerGuard)
  @RefreshRateLimit()
  @Header('Cache-Control', 'no-store')
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiOperation({ summary: 'Token endpoint (grant_type=refresh_token only; RFC 6749 §6)' })
  async token(
    @Body() dto: OAuthTokenDto,
    @ClientMeta() meta: RequestMeta,
  ): Promise<Record<string, unknown>> {
    try {
      const tokens = await this.auth.refresh(dto.refresh_token, meta);
      return {
        access_token: tokens.accessToken,
        token_type: 'Bearer',
        expires_in: tokens.expiresIn,
        refresh_token: tokens.refreshToken,
      };
    } catch (error) {
      if (
        error instanceof AppException &&
        error.code !== 'service_unavailable' &&
        error.code !== 'rate_limited'
      ) {
        throw new AppException(error.code, error.detail, {
          ...error.extras,
          rfc6749Error: 'invalid_grant',
        });
      }
      throw error;
    }
  }

  @Public()
  @Post('revoke')
  @HttpCode(200)
  @UseGuards(AuthThrottlerGuard)
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiOperation({ summary: 'Revoke a refresh or access token, ending its session (RFC 7009)' })
  async revoke(
    @Body() dto: OAuthTokenReferenceDto,
    @ClientMeta() meta: RequestMeta,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    await this.oauth.revoke(dto.token, meta);
    res.setHeader('Cache-Control', 'no-store');
  }

  @Post('introspect')
  @HttpCode(200)
  @Roles('admin')
  @ApiBearerAuth('bearer')
  @Header('Cache-Control', 'no-store')
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiOperation({ summary: 'Token introspection for resource servers (RFC 7662; admin role)' })
  introspect(@Body() dto: OAuthTokenReferenceDto): Promise<Introspection> {
    return this.oauth.introspect(dto.token);
  }
}
