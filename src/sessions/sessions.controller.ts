import { Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblemResponses } from '../common/api-problem.decorator';
import {
  type AuthContext,
  ClientMeta,
  CurrentAuth,
  type RequestMeta,
} from '../common/auth-context';
import { SessionListResponseDto } from './dto/session-list-response.dto';
import { SessionsService } from './sessions.service';

@ApiTags('sessions')
@ApiBearerAuth('bearer')
@ApiProblemResponses(401)
@Controller('sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  @Get()
  @ApiOperation({ summary: "The caller's active sessions; `current` marks this one" })
  @ApiOkResponse({ type: SessionListResponseDto })
  async list(@CurrentAuth() auth: AuthContext): Promise<SessionListResponseDto> {
    return {
      items: await this.sessions.listForUser(auth.userId, auth.sessionId),
      nextCursor: null,
    };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke one of your sessions (another user’s id answers 404)' })
  @ApiParam({ name: 'id', format: 'uuid', description: 'Session id' })
  @ApiNoContentResponse({ description: "Revoked (reason 'user')" })
  @ApiProblemResponses(400, 'csrf_failed', 404)
  async revokeOne(
    @CurrentAuth() auth: AuthContext,
    @Param('id', new ParseUUIDPipe()) id: string,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.sessions.revokeOwnSession(auth.userId, id, meta);
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke every session except the current one' })
  @ApiNoContentResponse({ description: "The other sessions are revoked (reason 'user')" })
  @ApiProblemResponses('csrf_failed')
  async revokeOthers(
    @CurrentAuth() auth: AuthContext,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.sessions.revokeOthers(auth.userId, auth.sessionId, meta);
  }
}
