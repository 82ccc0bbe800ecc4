import { Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { AdminOnly } from '../common/roles.decorator';
import { ApiProblemResponses } from '../common/api-problem.decorator';
import {
  type AuthContext,
  ClientMeta,
  CurrentAuth,
  type RequestMeta,
} from '../common/auth-context';
import type { Page } from '../common/keyset-cursor';
import { SessionSearchService, type SessionStats } from '../sessions/session-search.service';
import type { SessionView } from '../sessions/session-views';
import { AdminUsersService } from './admin-users.service';
import {
  AdminSessionPageDto,
  SearchSessionsQueryDto,
  SessionStatsDto,
} from './dto/admin-sessions.dto';
import { RequireFreshAuth } from '../common/require-fresh-auth.decorator';

@AdminOnly()
@ApiProblemResponses(401, 403)
@Controller('admin/sessions')
export class AdminSessionsController {
  constructor(
    private readonly search: SessionSearchService,
    private readonly admin: AdminUsersService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Search every user’s sessions, newest first (keyset-paginated)',
    description: 'Filters combine with AND; `from`/`to` bound the creation time.',
  })
  @ApiOkResponse({ type: AdminSessionPageDto })
  @ApiProblemResponses(400)
  list(
    @Query() query: SearchSessionsQueryDto,
    @CurrentAuth() auth: AuthContext,
  ): Promise<Page<SessionView>> {
    const { limit, cursor, from, to, ...filter } = query;
    return this.search.searchSessions(
      { ...filter, from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined },
      { limit, cursor },
      auth.sessionId,
    );
  }

  @Get('stats')
  @ApiOperation({ summary: 'Live sessions now; created, revoked and expired in the last 24 hours' })
  @ApiOkResponse({ type: SessionStatsDto })
  stats(): Promise<SessionStats> {
    return this.search.stats();
  }

  @Delete(':id')
  @RequireFreshAuth()
  @HttpCode(204)
  @ApiOperation({
    summary: "Revoke one session (reason 'admin'); an already ended one is left as is",
  })
  @ApiParam({ name: 'id', format: 'uuid', description: 'Session id' })
  @ApiNoContentResponse({ description: 'Revoked (or already ended)' })
  @ApiProblemResponses(400, 401, 'step_up_required', 404)
  async revoke(
    @Param('id', new ParseUUIDPipe()) id: string,
    @CurrentAuth() auth: AuthContext,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.admin.revokeSession(id, auth.userId, meta);
  }
}
