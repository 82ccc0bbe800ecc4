import { Body, Controller, Get, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiExtraModels,
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
  type AuthenticatedRequest,
  ClientMeta,
  CurrentAuth,
  type RequestMeta,
} from '../common/auth-context';
import { OptionalAuth, Public } from '../common/public.decorator';
import { RequireFreshAuth } from '../common/require-fresh-auth.decorator';
import { AppConfig } from '../config/app-config';
import type { UserEntity } from '../users/user.entity';
import {
  AuthThrottlerGuard,
  GlobalAuthBudget,
  LoginRoute,
  RefreshRateLimit,
} from './throttling/auth-throttler.guard';
import { AuthTransport, wantsCookieMode } from './browser/auth-transport';
import { AuthService, type LoginInput, type SignedIn, type SteppedUp } from './auth.service';
import {
  MfaRequiredProblemDto,
  MfaVerifyDto,
  PasskeyOptionsDto,
  PasskeyRequestOptionsDto,
  PasskeyVerifyDto,
  PasskeyVerifyResponseDto,
  ReauthDto,
  ReauthResponseDto,
} from './dto/mfa-login.dto';
import { LoginDto } from './dto/login.dto';
import { ChangePasswordDto, ForgotPasswordDto, ResetPasswordDto } from './dto/password.dto';
import { RefreshDto } from './dto/refresh.dto';
import { RegisterDto } from './dto/register.dto';
import { CsrfResponseDto, MeResponseDto, TokenResponseDto } from './dto/token-response.dto';
import { CsrfService } from './browser/csrf.service';
import { RegisterResponseDto } from './dto/user-view.dto';
import { LocalAuthGuard } from './guards/local-auth.guard';
import { DPOP_NONCE_HEADER, DpopService } from './dpop/dpop.service';
import { CurrentUserService } from './current-user.service';

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
    description:
      'Clears every auth cookie (same name and attributes, Max-Age=0). The device cookie is ' +
      'kept and no Clear-Site-Data is sent, so the next sign-in is not a new device.',
    schema: {
      type: 'string',
      example: '__Host-tessera_at=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax',
    },
  },
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
    private readonly csrf: CsrfService,
    private readonly dpop: DpopService,
    private readonly currentUser: CurrentUserService,
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
  @ApiExtraModels(MfaRequiredProblemDto)
  @ApiProblemResponses(400, 'invalid_credentials', 'mfa_required', 413, 'account_locked', 429)
  async login(
    @Body() dto: LoginDto,
    @Req() req: Request & { user: UserEntity },
    @Res({ passthrough: true }) res: Response,
    @ClientMeta() meta: RequestMeta,
  ): Promise<TokenResponseDto> {
    const dpopJkt = await this.dpopProof(req, res);
    const input = { ...this.loginInput(req, dto), dpopJkt };
    const tokens = await this.auth.login(req.user, input, meta);
    return this.transport.respond(res, tokens, input.transport === 'cookie');
  }

  @Public()
  @Post('mfa/verify')
  @HttpCode(200)
  @UseGuards(AuthThrottlerGuard)
  @ApiOperation({
    summary: 'Second login step: a TOTP or recovery code for the mfaToken of mfa_required',
    description:
      'Answers like login, in the transport the login asked for (cookie mode: Set-Cookie and ' +
      'csrfToken). A wrong code counts like a failed login; after 5 the mfaToken is spent.',
  })
  @ApiOkResponse({
    type: TokenResponseDto,
    description: 'Signed in (amr e.g. ["pwd","otp","mfa"])',
    headers: TOKEN_HEADERS,
  })
  @ApiProblemResponses(400, 'mfa_invalid', 'mfa_token_invalid', 413, 'account_locked', 429)
  async verifyMfa(
    @Body() dto: MfaVerifyDto,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
    @ClientMeta() meta: RequestMeta,
  ): Promise<TokenResponseDto> {
    const dpopJkt = await this.dpopProof(req, res);
    return this.respondSignedIn(res, await this.auth.verifyMfa({ ...dto, dpopJkt }, meta));
  }

  @OptionalAuth()
  @Post('passkeys/options')
  @HttpCode(200)
  @UseGuards(AuthThrottlerGuard)
  @ApiOperation({
    summary: 'WebAuthn request options for a passkey sign-in, second factor or step-up',
    description:
      "With an mfaToken: the passkeys of that login's user. Signed in (bearer or cookie): a " +
      'step-up of the current session. Otherwise: discoverable credentials (passwordless).',
  })
  @ApiOkResponse({
    type: PasskeyRequestOptionsDto,
    description: 'PublicKeyCredentialRequestOptionsJSON for navigator.credentials.get()',
  })
  @ApiProblemResponses(400, 'mfa_token_invalid', 413, 429)
  passkeyOptions(
    @Body() dto: PasskeyOptionsDto,
    @Req() req: Request & { auth?: AuthContext },
  ): ReturnType<AuthService['passkeyOptions']> {
    return this.auth.passkeyOptions(dto.mfaToken, req.auth);
  }

  @OptionalAuth()
  @Post('passkeys/verify')
  @HttpCode(200)
  @UseGuards(AuthThrottlerGuard)
  @ApiOperation({
    summary: 'Sign in with a passkey, use it as the second factor, or step up',
    description:
      'Without mfaToken and signed out: passwordless sign-in (amr ["hwk" or "swk","mfa"]; ' +
      'X-Auth-Mode: cookie for browsers). With mfaToken: the second login step. Signed in: ' +
      'marks the session freshly authenticated and answers with a new access token.',
  })
  @ApiHeader({
    name: 'X-Auth-Mode',
    required: false,
    description: 'Passwordless sign-in: "cookie" for browsers, as on login',
  })
  @ApiOkResponse({
    type: PasskeyVerifyResponseDto,
    description:
      'Sign-in: like login (tokens, session and user; cookie mode as on login). Step-up: the ' +
      'new access token only (tokenType, expiresIn, and accessToken in header mode).',
    headers: TOKEN_HEADERS,
  })
  @ApiProblemResponses(
    400,
    'mfa_invalid',
    'mfa_token_invalid',
    'session_revoked',
    413,
    'account_locked',
    429,
  )
  async verifyPasskey(
    @Body() dto: PasskeyVerifyDto,
    @Req() req: Request & { auth?: AuthContext },
    @Res({ passthrough: true }) res: Response,
    @ClientMeta() meta: RequestMeta,
  ): Promise<PasskeyVerifyResponseDto> {
    const dpopJkt = await this.dpopProof(req, res);
    const outcome = await this.auth.verifyPasskey(
      {
        response: dto.response,
        mfaToken: dto.mfaToken,
        login: { ...this.loginInput(req, dto), dpopJkt },
      },
      dto.mfaToken ? undefined : req.auth,
      meta,
    );
    if ('signedIn' in outcome) return this.respondSignedIn(res, outcome.signedIn);
    return this.respondSteppedUp(res, outcome.steppedUp, req.auth?.transport === 'cookie');
  }

  @Post('reauth')
  @HttpCode(200)
  @UseGuards(AuthThrottlerGuard)
  @ApiBearerAuth('bearer')
  @ApiOperation({
    summary: 'Step-up: prove it is you again (password or code); the session becomes fresh',
    description:
      'RFC 9470. Send {password} or {method: "totp" | "recovery_code", code}. Routes that ' +
      'need a recent authentication answer 401 step_up_required until this is done. Header ' +
      'mode: a new access token in the body; cookie mode: a new access cookie.',
  })
  @ApiHeader(CSRF_HEADER)
  @ApiOkResponse({ type: ReauthResponseDto, headers: TOKEN_HEADERS })
  @ApiProblemResponses(
    400,
    401,
    'invalid_credentials',
    'mfa_invalid',
    'csrf_failed',
    413,
    'account_locked',
    429,
  )
  async reauth(
    @CurrentAuth() auth: AuthContext,
    @Body() dto: ReauthDto,
    @Res({ passthrough: true }) res: Response,
    @ClientMeta() meta: RequestMeta,
  ): Promise<ReauthResponseDto> {
    const proof =
      dto.password !== undefined && dto.method === undefined && dto.code === undefined
        ? { password: dto.password }
        : dto.password === undefined && dto.method && dto.code
          ? { method: dto.method, code: dto.code }
          : undefined;
    if (!proof) {
      throw new AppException('validation_failed', 'Send either password, or method and code');
    }
    const steppedUp = await this.auth.reauth(auth, proof, meta);
    return this.respondSteppedUp(res, steppedUp, auth.transport === 'cookie');
  }

  private loginInput(
    req: Request,
    dto: { rememberMe?: boolean; device?: { id?: string; name?: string; platform?: string } },
  ): LoginInput {
    const cookieMode = wantsCookieMode(req);
    const deviceCookie = this.transport.cookies.device(req);
    return {
      rememberMe: dto.rememberMe ?? false,
      device: {
        clientDeviceId: dto.device?.id ?? deviceCookie,
        name: dto.device?.name,
        platform: dto.device?.platform,
      },
      mintDeviceCookie: cookieMode && !dto.device?.id && !deviceCookie,
      transport: cookieMode ? 'cookie' : 'header',
    };
  }

  /** Every token endpoint answer carries a fresh nonce; a proof sent must be valid (RFC 9449). */
  private async dpopProof(req: Request, res: Response): Promise<string | undefined> {
    res.setHeader(DPOP_NONCE_HEADER, this.dpop.freshNonce());
    return this.dpop.atTokenEndpoint(req);
  }

  private respondSignedIn(res: Response, signedIn: SignedIn): TokenResponseDto {
    return this.transport.respond(res, signedIn.tokens, signedIn.cookieMode);
  }

  private respondSteppedUp(
    res: Response,
    steppedUp: SteppedUp,
    cookieMode: boolean,
  ): ReauthResponseDto {
    res.setHeader('Cache-Control', 'no-store');
    const common = { tokenType: steppedUp.tokenType, expiresIn: steppedUp.expiresIn };
    if (!cookieMode) return { accessToken: steppedUp.accessToken, ...common };
    this.transport.cookies.setAccess(res, steppedUp);
    return common;
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
    const dpopJkt = await this.dpopProof(req, res);
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
      dpopJkt,
    });
    return this.transport.respond(res, tokens, cookieMode);
  }

  @Post('logout')
  @HttpCode(204)
  @ApiBearerAuth('bearer')
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
  @ApiOperation({
    summary: 'The signed-in user and the current session',
    description: 'Authenticated by cookie, it also carries csrfToken (for a reloaded page).',
  })
  @ApiOkResponse({ type: MeResponseDto })
  @ApiProblemResponses(401)
  me(@CurrentAuth() auth: AuthContext): Promise<MeResponseDto> {
    return this.currentUser.describe(auth);
  }

  @Get('csrf')
  @Public()
  @OptionalAuth()
  @ApiBearerAuth('bearer')
  @ApiOperation({
    summary: "The current session's CSRF token (cookie mode)",
    description:
      'For a page that reloaded and lost the csrfToken from login: the same token, which stays ' +
      'valid for the whole session. The refresh cookie alone is enough, so a page whose access ' +
      'token expired meanwhile can still refresh. With a bearer token the answer is ' +
      '{"csrfToken": null}: header mode needs no CSRF token.',
  })
  @ApiOkResponse({ type: CsrfResponseDto })
  @ApiProblemResponses(401)
  async csrfToken(@Req() req: AuthenticatedRequest): Promise<CsrfResponseDto> {
    const auth = req.auth;
    if (auth) {
      return { csrfToken: auth.transport === 'cookie' ? this.csrf.tokenFor(auth.sessionId) : null };
    }
    const refreshToken = this.transport.cookies.refresh(req);
    const sessionId = refreshToken
      ? await this.auth.liveSessionOfRefreshToken(refreshToken)
      : undefined;
    if (!sessionId) throw new AppException('unauthenticated', 'Sign in again');
    return { csrfToken: this.csrf.tokenFor(sessionId) };
  }

  @Post('password/change')
  @HttpCode(204)
  @RequireFreshAuth()
  @UseGuards(AuthThrottlerGuard)
  @ApiBearerAuth('bearer')
  @ApiOperation({
    summary: 'Change the password; every other session ends',
    description: 'Needs a recent authentication (step_up_required: POST /auth/reauth first).',
  })
  @ApiNoContentResponse({ description: 'Changed; this session continues' })
  @ApiProblemResponses(400, 401, 'step_up_required', 'csrf_failed', 413, 429)
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
