import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  type PipeTransform,
  Post,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/api-problem.decorator';
import { AppException } from '../common/app.exception';
import {
  type AuthContext,
  ClientMeta,
  CurrentAuth,
  type RequestMeta,
} from '../common/auth-context';
import { RequireFreshAuth } from '../common/require-fresh-auth.decorator';
import {
  PasskeyCreationOptionsDto,
  PasskeyDto,
  PasskeyListDto,
  RegisterPasskeyDto,
  RenamePasskeyDto,
} from './dto/passkey.dto';
import { MyPasskeysService } from './my-passkeys.service';

/** A WebAuthn credential id: base64url, at most 1023 bytes (≤ 1364 characters). */
const CREDENTIAL_ID = /^[\w-]{1,1364}$/;

class ParseCredentialIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!CREDENTIAL_ID.test(value)) {
      throw new AppException('validation_failed', 'A passkey id is a base64url credential id');
    }
    return value;
  }
}

const PASSKEY_ID = { name: 'id', description: 'The passkey (WebAuthn credential) id, base64url' };
const STEP_UP =
  'Needs a recent authentication (STEP_UP_MAX_AGE): otherwise 401 `step_up_required` with ' +
  '`WWW-Authenticate`; re-authenticate with `POST /auth/reauth` and retry.';

@ApiTags('me')
@ApiBearerAuth('bearer')
@ApiProblemResponses(401)
@Controller('me/passkeys')
export class MePasskeysController {
  constructor(private readonly passkeys: MyPasskeysService) {}

  @Post('options')
  @HttpCode(200)
  @RequireFreshAuth()
  @ApiOperation({
    summary: 'WebAuthn creation options for registering a passkey',
    description:
      'Pass them to `navigator.credentials.create()`, then send the result to ' +
      '`POST /me/passkeys`. User verification and a discoverable credential are required; the ' +
      `user's existing passkeys are excluded. The challenge is single use. ${STEP_UP}`,
  })
  @ApiOkResponse({ type: PasskeyCreationOptionsDto })
  @ApiProblemResponses(401, 'step_up_required', 'csrf_failed')
  options(@CurrentAuth() auth: AuthContext): Promise<PasskeyCreationOptionsDto> {
    return this.passkeys.creationOptions(auth.userId);
  }

  @Post()
  @RequireFreshAuth()
  @ApiOperation({
    summary: 'Register a passkey',
    description:
      'Verifies the attestation against the challenge of `POST /me/passkeys/options`, the ' +
      "configured origins (WEBAUTHN_ORIGINS) and rp id (WEBAUTHN_RP_ID); the passkey records the caller's " +
      `device. Records \`passkey.added\`. ${STEP_UP}`,
  })
  @ApiCreatedResponse({ type: PasskeyDto })
  @ApiProblemResponses(400, 401, 'step_up_required', 'csrf_failed', 413)
  register(
    @CurrentAuth() auth: AuthContext,
    @Body() dto: RegisterPasskeyDto,
    @ClientMeta() meta: RequestMeta,
  ): Promise<PasskeyDto> {
    return this.passkeys.register(auth, dto.response, dto.name, meta);
  }

  @Get()
  @ApiOperation({ summary: "The caller's passkeys, oldest first" })
  @ApiOkResponse({ type: PasskeyListDto })
  async list(@CurrentAuth() auth: AuthContext): Promise<PasskeyListDto> {
    return { items: await this.passkeys.list(auth.userId), nextCursor: null };
  }

  @Patch(':id')
  @RequireFreshAuth()
  @ApiOperation({ summary: 'Rename a passkey', description: STEP_UP })
  @ApiParam(PASSKEY_ID)
  @ApiOkResponse({ type: PasskeyDto, description: 'The renamed passkey' })
  @ApiProblemResponses(400, 401, 'step_up_required', 'csrf_failed', 404, 413)
  rename(
    @CurrentAuth() auth: AuthContext,
    @Param('id', new ParseCredentialIdPipe()) id: string,
    @Body() dto: RenamePasskeyDto,
  ): Promise<PasskeyDto> {
    return this.passkeys.rename(auth.userId, id, dto.name);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireFreshAuth()
  @ApiOperation({
    summary: 'Remove a passkey',
    description:
      'Records `passkey.removed` (and raises an alert). When no second factor remains, the ' +
      `recovery codes are removed too. ${STEP_UP}`,
  })
  @ApiParam(PASSKEY_ID)
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiProblemResponses(400, 401, 'step_up_required', 'csrf_failed', 404)
  async remove(
    @CurrentAuth() auth: AuthContext,
    @Param('id', new ParseCredentialIdPipe()) id: string,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.passkeys.remove(auth, id, meta);
  }
}
