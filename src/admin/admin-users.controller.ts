import {
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam } from '@nestjs/swagger';
import { AdminOnly } from '../common/roles.decorator';
import { ApiProblemResponses } from '../common/api-problem.decorator';
import {
  type AuthContext,
  ClientMeta,
  CurrentAuth,
  type RequestMeta,
} from '../common/auth-context';
import type { Page } from '../common/keyset-cursor';
import type { UserView } from '../users/users.service';
import { AdminUsersService } from './admin-users.service';
import {
  AdminUserDetailDto,
  AdminUserPageDto,
  ListUsersQueryDto,
  RevokedSessionsDto,
  UpdateUserDto,
} from './dto/admin-users.dto';
import { RequireFreshAuth } from '../common/require-fresh-auth.decorator';

const USER_ID = { name: 'id', format: 'uuid', description: 'User id' };

@AdminOnly()
@ApiProblemResponses(401, 403)
@Controller('admin/users')
export class AdminUsersController {
  constructor(private readonly admin: AdminUsersService) {}

  @Get()
  @ApiOperation({
    summary: 'List users, optionally by email prefix (keyset-paginated, email order)',
  })
  @ApiOkResponse({ type: AdminUserPageDto })
  @ApiProblemResponses(400)
  list(@Query() query: ListUsersQueryDto): Promise<Page<UserView>> {
    return this.admin.list(query.email, { limit: query.limit, cursor: query.cursor });
  }

  @Get(':id')
  @ApiOperation({ summary: 'One user, with session and device counts' })
  @ApiParam(USER_ID)
  @ApiOkResponse({ type: AdminUserDetailDto })
  @ApiProblemResponses(400, 404)
  detail(@Param('id', new ParseUUIDPipe()) id: string): Promise<AdminUserDetailDto> {
    return this.admin.detail(id);
  }

  @Patch(':id')
  @RequireFreshAuth()
  @ApiOperation({
    summary: 'Change roles and/or lock or unlock a user',
    description:
      'Locking revokes every session of the user (reason `admin`). Takes effect on the next ' +
      'request, also for a demoted admin. Admins cannot demote or lock themselves.',
  })
  @ApiParam(USER_ID)
  @ApiOkResponse({ type: AdminUserDetailDto })
  @ApiProblemResponses(400, 401, 'step_up_required', 404)
  async update(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() dto: UpdateUserDto,
    @CurrentAuth() auth: AuthContext,
    @ClientMeta() meta: RequestMeta,
  ): Promise<AdminUserDetailDto> {
    return this.admin.update(id, dto, auth.userId, meta);
  }

  @Post(':id/sessions/revoke')
  @RequireFreshAuth()
  @HttpCode(200)
  @ApiOperation({ summary: "Revoke every session of a user (reason 'admin')" })
  @ApiParam(USER_ID)
  @ApiOkResponse({ type: RevokedSessionsDto })
  @ApiProblemResponses(400, 401, 'step_up_required', 404)
  async revokeAll(
    @Param('id', new ParseUUIDPipe()) id: string,
    @CurrentAuth() auth: AuthContext,
    @ClientMeta() meta: RequestMeta,
  ): Promise<RevokedSessionsDto> {
    const revoked = await this.admin.revokeAllSessions(id, auth.userId, meta);
    return { revoked: revoked.length };
  }
}
