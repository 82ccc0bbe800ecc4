import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ApiProblemResponses } from '../../common/api-problem.decorator';
import { type AuthContext, CurrentAuth } from '../../common/auth-context';
import { RequireFreshAuth } from '../../common/require-fresh-auth.decorator';
import { AdminOnly } from '../../common/roles.decorator';
import { RotationResultDto, SigningKeyListDto } from '../dto/signing-key.dto';
import { KeyRotationService, type RotationResult } from './key-rotation.service';

@AdminOnly()
@ApiProblemResponses(401, 403)
@Controller('admin/keys')
export class SigningKeysController {
  constructor(private readonly rotation: KeyRotationService) {}

  @Get()
  @ApiOperation({ summary: 'Access-token signing keys and their state (no private parts)' })
  @ApiOkResponse({ type: SigningKeyListDto })
  async list(): Promise<SigningKeyListDto> {
    return { items: await this.rotation.list() };
  }

  @Post('rotate')
  @RequireFreshAuth()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Rotate the signing key: the new key is published now and signs after JWT_KEY_ACTIVATION_DELAY; ' +
      'the old one verifies until its last token has expired',
  })
  @ApiOkResponse({ type: RotationResultDto })
  @ApiProblemResponses(400, 401, 'step_up_required')
  rotate(@CurrentAuth() auth: AuthContext): Promise<RotationResult> {
    return this.rotation.rotate(auth.userId);
  }
}
