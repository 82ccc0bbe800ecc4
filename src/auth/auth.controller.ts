import { Body, Controller, Get, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
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
import type { UserView } from '../users/users.service';
import { AuthThrottlerGuard, RefreshRateLimit } from './auth-throttler.guard';
import { AuthTransport, wantsCookieMode } from './auth-transport';
import { AuthService } from './auth.service';
import { LoginDto } from './dto/login.dto';
import { ChangePasswordDto, ForgotPasswordDto, ResetPasswordDto } from './dto/password.dto';
import { RefreshDto } from './dto/refresh.dto';
import { RegisterDto } from './dto/register.dto';
import { LocalAuthGuard } from './local-auth.guard';

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
  @ApiOperation({ summary: 'Create an account (does not sign in)' })
  async register(
    @Body() dto: RegisterDto,
    @ClientMeta() meta: RequestMeta,
  ): Promise<{ user: UserView }> {
    return { user: await this.auth.register(dto, meta) };
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  @UseGuards(AuthThrottlerGuard, LocalAuthGuard)
  @ApiOperation({ summary: 'Sign in; X-Auth-Mode: cookie for browsers' })
  @ApiHeader({
    name: 'X-Auth-Mode',
    required: false,
    description: '"cookie": tokens as cookies, csrfToken in the body',
  })
  async login(
    @Body() dto: LoginDto,
    @Req() req: Request & { user: UserEntity },
    @Res({ passthrough: true }) res: Response,
    @ClientMeta() meta: RequestMeta,
  ): Promise<Record<string, unknown>> {
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
  @ApiOperation({ summary: 'Rotate the refresh token and get a new access token' })
  async refresh(
    @Body() dto: RefreshDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @ClientMeta() meta: RequestMeta,
  ): Promise<Record<string, unknown>> {
    const cookieToken = this.transport.cookies.refresh(req);
    const refreshToken = dto.refreshToken ?? cookieToken;
    if (!refreshToken)
      throw new AppException('refresh_token_invalid', 'A refresh token is required');
    const cookieMode = !dto.refreshToken;
    const tokens = await this.auth.refresh(refreshToken, {
      ...meta,
      clientDeviceId: dto.deviceId,
      cookieCsrfToken: cookieMode ? (req.header('x-csrf-token') ?? null) : undefined,
    });
    return this.transport.respond(res, tokens, cookieMode);
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth('bearer')
  @ApiCookieAuth('cookie')
  @ApiOperation({ summary: 'End the current session' })
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
  me(@CurrentAuth() auth: AuthContext): ReturnType<AuthService['me']> {
    return this.auth.me(auth);
  }

  @Post('password/change')
  @HttpCode(204)
  @UseGuards(AuthThrottlerGuard)
  @ApiBearerAuth('bearer')
  @ApiCookieAuth('cookie')
  @ApiOperation({ summary: 'Change the password; every other session ends' })
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
  async resetPassword(
    @Body() dto: ResetPasswordDto,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.auth.resetPassword(dto, meta);
  }
}
