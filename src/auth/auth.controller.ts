import { Body, Controller, Get, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/api-problem.decorator';
import type { Request, Response } from 'express';
import { AppException } from '../common/app.exception';
import {
  type AuthContext,
  ClientMeta,
  CurrentAuth,
  type RequestMeta,
} from '../common/auth-context';
import { Public } from '../common/public.decorator';
import { AppConfig } from '../config/app-config';
import type { UserEntity } from '../users/user.entity';
import {
  AuthThrottlerGuard,
  GlobalAuthBudget,
  LoginRoute,
  RefreshRateLimit,
} from './throttling/auth-throttler.guard';
import { AuthTransport, wantsCookieMode } from './browser/auth-transport';
import { AuthService } from './auth.service';
import { LoginDto } from './dto/login.dto';
import { ChangePasswordDto, ForgotPasswordDto, ResetPasswordDto } from './dto/password.dto';
import { RefreshDto } from './dto/refresh.dto';
import { RegisterDto } from './dto/register.dto';
import { MeResponseDto, TokenResponseDto } from './dto/token-response.dto';
import { RegisterResponseDto } from './dto/user-view.dto';
import { LocalAuthGuard } from './guards/local-auth.guard';

/** Response headers of login and refresh (both transports). */
const TOKEN_HEADERS = {
  'Cache-Control': {
    description: 'Always `no-store`',
    schema: { type: 'string', example: 'no-store' },
  },
  'Set-Cookie': {
    description:
      'Cookie mode only: the access and refresh tokens (`__Host-` names, HttpOnly, Secure; ' +
      'access SameSite=Lax, refresh SameSite=Strict) and, for a new browser, the device cookie. ' +
      'Never set in header mode.',
    schema: {
      type: 'string',
      example: '__Host-tessera_at=eyJ…; Path=/; HttpOnly; Secure; SameSite=Lax',
    },
  },
};

/** Response headers of logout and logout-all. */
const LOGOUT_HEADERS = {
  'Set-Cookie': {
    description: 'Clears every auth cookie (same name and attributes, Max-Age=0)',
    schema: {
      type: 'string',
      example: '__Host-tessera_at=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax',
    },
  },
  'Clear-Site-Data': { schema: { type: 'string', example: '"cookies", "storage"' } },
};

const CSRF_HEADER = {
  name: 'X-CSRF-Token',
  required: false,
  description: 'Cookie mode: the csrfToken from login (required on unsafe requests)',
};

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  private readonly transport: AuthTransport;

  constructor(
    private readonly auth: AuthService,
    private readonly config: AppConfig,
  ) {
    this.transport = new AuthTransport(config);
  }

  @Public()
  @Post('register')
  @UseGuards(AuthThrottlerGuard)
  @GlobalAuthBudget()
  @ApiOperation({ summary: 'Create an account (does not sign in)' })
  @ApiCreatedResponse({ type: RegisterResponseDto, description: 'The account was created' })
  @ApiProblemResponses(400, 'email_taken', 413, 429)
  async register(
    @Body() dto: RegisterDto,
    @ClientMeta() meta: RequestMeta,
  ): Promise<RegisterResponseDto> {
    return { user: await this.auth.register(dto, meta) };
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  @UseGuards(AuthThrottlerGuard, LocalAuthGuard)
  @GlobalAuthBudget()
  @LoginRoute()
  @ApiOperation({ summary: 'Sign in; X-Auth-Mode: cookie for browsers' })
  @ApiHeader({
    name: 'X-Auth-Mode',
    required: false,
    description: '"cookie": tokens as cookies, csrfToken in the body',
  })
  @ApiOkResponse({
    type: TokenResponseDto,
    description:
      'Signed in. Header mode: accessToken and refreshToken in the body. Cookie mode: the ' +
      'tokens only as cookies (Set-Cookie) and csrfToken in the body instead.',
    headers: TOKEN_HEADERS,
  })
  @ApiProblemResponses(400, 'invalid_credentials', 413, 'account_locked', 429)
  async login(
    @Body() dto: LoginDto,
    @Req() req: Request & { user: UserEntity },
    @Res({ passthrough: true }) res: Response,
    @ClientMeta() meta: RequestMeta,
  ): Promise<TokenResponseDto> {
    const cookieMode = wantsCookieMode(req);
    const deviceCookie = this.transport.cookies.device(req);
    const tokens = await this.auth.login(
      req.user,
      {
        rememberMe: dto.rememberMe ?? false,
        device: {
          clientDeviceId: dto.device?.id ?? deviceCookie,
          name: dto.device?.name,
          platform: dto.device?.platform,
        },
        mintDeviceCookie: cookieMode && !dto.device?.id && !deviceCookie,
      },
      meta,
    );
    return this.transport.respond(res, tokens, cookieMode);
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @UseGuards(AuthThrottlerGuard)
  @RefreshRateLimit()
  @ApiOperation({
    summary: 'Rotate the refresh token and get a new access token',
    description:
      'Header mode: send refreshToken in the body. Cookie mode: omit it; the refresh cookie is ' +
      'used and X-CSRF-Token is required. A refresh token that was already rotated is treated as ' +
      'theft: 401 refresh_token_reused and the whole session is revoked.',
  })
  @ApiHeader(CSRF_HEADER)
  @ApiOkResponse({
    type: TokenResponseDto,
    description: 'New tokens, in the same transport as the refresh token came in',
    headers: TOKEN_HEADERS,
  })
  @ApiProblemResponses(
    400,
    'refresh_token_invalid',
    'refresh_token_reused',
    'session_revoked',
    'session_expired',
    'csrf_failed',
    413,
    429,
  )
  async refresh(
    @Body() dto: RefreshDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @ClientMeta() meta: RequestMeta,
  ): Promise<TokenResponseDto> {
    const cookieToken = this.transport.cookies.refresh(req);
    const refreshToken = dto.refreshToken ?? cookieToken;
    if (!refreshToken)
      throw new AppException('refresh_token_invalid', 'A refresh token is required');
    const cookieMode = !dto.refreshToken;
    const tokens = await this.auth.refresh(refreshToken, {
      ...meta,
      // Browsers prove their device with the device cookie, apps with deviceId.
      clientDeviceId: dto.deviceId ?? this.transport.cookies.device(req),
      cookieCsrfToken: cookieMode ? (req.header('x-csrf-token') ?? null) : undefined,
    });
    return this.transport.respond(res, tokens, cookieMode);
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth('bearer')
  @ApiCookieAuth('cookie')
  @ApiOperation({ summary: 'End the current session' })
  @ApiNoContentResponse({
    description: 'Signed out; auth cookies cleared',
    headers: LOGOUT_HEADERS,
  })
  @ApiProblemResponses(401, 'csrf_failed')
  async logout(
    @CurrentAuth() auth: AuthContext,
    @ClientMeta() meta: RequestMeta,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    await this.auth.logout(auth, meta);
    this.transport.clear(res);
  }

  @Post('logout-all')
  @HttpCode(204)
  @ApiBearerAuth('bearer')
  @ApiCookieAuth('cookie')
  @ApiOperation({ summary: 'End every session of the user, this one included' })
  @ApiNoContentResponse({
    description: 'Every session ended; auth cookies cleared',
    headers: LOGOUT_HEADERS,
  })
  @ApiProblemResponses(401, 'csrf_failed')
  async logoutAll(
    @CurrentAuth() auth: AuthContext,
    @ClientMeta() meta: RequestMeta,
    @Res({ passthrough: true }) res: Response,
  ): Promise<void> {
    await this.auth.logoutAll(auth, meta);
    this.transport.clear(res);
  }

  @Get('me')
  @ApiBearerAuth('bearer')
  @ApiCookieAuth('cookie')
  @ApiOperation({ summary: 'The signed-in user and the current session' })
  @ApiOkResponse({ type: MeResponseDto })
  @ApiProblemResponses(401)
  me(@CurrentAuth() auth: AuthContext): ReturnType<AuthService['me']> {
    return this.auth.me(auth);
  }

  @Post('password/change')
  @HttpCode(204)
  @UseGuards(AuthThrottlerGuard)
  @ApiBearerAuth('bearer')
  @ApiCookieAuth('cookie')
  @ApiOperation({ summary: 'Change the password; every other session ends' })
  @ApiNoContentResponse({ description: 'Changed; this session continues' })
  @ApiProblemResponses(400, 401, 'csrf_failed', 413, 429)
  async changePassword(
    @CurrentAuth() auth: AuthContext,
    @Body() dto: ChangePasswordDto,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.auth.changePassword(auth, dto, meta);
  }

  @Public()
  @Post('password/forgot')
  @HttpCode(202)
  @UseGuards(AuthThrottlerGuard)
  @ApiOperation({
    summary: 'Request a reset message; always 202, whether or not the account exists',
  })
  @ApiAcceptedResponse({ description: 'Accepted (whether or not the account exists)' })
  @ApiProblemResponses(400, 413, 429)
  async forgotPassword(
    @Body() dto: ForgotPasswordDto,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.auth.forgotPassword(dto.email, meta);
  }

  @Public()
  @Post('password/reset')
  @HttpCode(204)
  @UseGuards(AuthThrottlerGuard)
  @ApiOperation({ summary: 'Set a new password with a reset token; every session ends' })
  @ApiNoContentResponse({ description: 'The password is set; sign in with it' })
  @ApiProblemResponses(400, 413, 429)
  async resetPassword(
    @Body() dto: ResetPasswordDto,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.auth.resetPassword(dto, meta);
  }
}
