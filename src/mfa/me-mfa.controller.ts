import { Body, Controller, Delete, Get, HttpCode, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/api-problem.decorator';
import {
  type AuthContext,
  ClientMeta,
  CurrentAuth,
  type RequestMeta,
} from '../common/auth-context';
import { RequireFreshAuth } from '../common/require-fresh-auth.decorator';
import {
  ConfirmTotpDto,
  MfaStatusDto,
  RecoveryCodesDto,
  TotpEnrollmentDto,
} from './dto/me-mfa.dto';
import { MfaService } from './mfa.service';

/**
 * The caller's own authenticator app and recovery codes. Every change needs a fresh
 * authentication (step-up, RFC 9470): a stolen session alone cannot swap the second factor.
 */
@ApiTags('me')
@ApiBearerAuth('bearer')
@ApiProblemResponses(401)
@Controller('me/mfa')
export class MeMfaController {
  constructor(private readonly mfa: MfaService) {}

  @Get()
  @ApiOperation({ summary: 'The second factors of the caller' })
  @ApiOkResponse({ type: MfaStatusDto })
  status(@CurrentAuth() auth: AuthContext): Promise<MfaStatusDto> {
    return this.mfa.status(auth.userId);
  }

  @Post('totp')
  @RequireFreshAuth()
  @ApiOperation({
    summary: 'Start enrolling an authenticator app (pending until confirmed)',
    description: 'The secret is shown once; confirm with a code from the app.',
  })
  @ApiCreatedResponse({ type: TotpEnrollmentDto })
  @ApiProblemResponses(401, 'step_up_required', 'csrf_failed', 413)
  beginTotp(@CurrentAuth() auth: AuthContext): Promise<TotpEnrollmentDto> {
    return this.mfa.beginTotpEnrollment(auth.userId);
  }

  @Post('totp/confirm')
  @HttpCode(200)
  @RequireFreshAuth()
  @ApiOperation({
    summary: 'Confirm the authenticator app with a code; returns ten recovery codes, once',
  })
  @ApiOkResponse({ type: RecoveryCodesDto })
  @ApiProblemResponses(400, 401, 'mfa_invalid', 'step_up_required', 'csrf_failed', 413)
  async confirmTotp(
    @CurrentAuth() auth: AuthContext,
    @Body() dto: ConfirmTotpDto,
    @ClientMeta() meta: RequestMeta,
  ): Promise<RecoveryCodesDto> {
    return this.mfa.confirmTotp(auth.userId, dto.code, this.eventMeta(auth, meta));
  }

  @Delete('totp')
  @HttpCode(204)
  @RequireFreshAuth()
  @ApiOperation({ summary: 'Remove the authenticator app' })
  @ApiNoContentResponse({ description: 'Removed (recovery codes too when no factor is left)' })
  @ApiProblemResponses(401, 'step_up_required', 'csrf_failed', 404)
  async disableTotp(
    @CurrentAuth() auth: AuthContext,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.mfa.disableTotp(auth.userId, this.eventMeta(auth, meta));
  }

  @Post('recovery-codes')
  @HttpCode(200)
  @RequireFreshAuth()
  @ApiOperation({ summary: 'Replace the recovery codes with ten new ones, shown once' })
  @ApiOkResponse({ type: RecoveryCodesDto })
  @ApiProblemResponses(400, 401, 'step_up_required', 'csrf_failed', 413)
  async regenerateRecoveryCodes(
    @CurrentAuth() auth: AuthContext,
    @ClientMeta() meta: RequestMeta,
  ): Promise<RecoveryCodesDto> {
    return {
      recoveryCodes: await this.mfa.regenerateRecoveryCodes(
        auth.userId,
        this.eventMeta(auth, meta),
      ),
    };
  }

  private eventMeta(auth: AuthContext, meta: RequestMeta): { sessionId: string } & RequestMeta {
    return { sessionId: auth.sessionId, ...meta };
  }
}
