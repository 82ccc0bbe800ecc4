import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
} from '@nestjs/swagger';
import { DeviceListResponseDto } from '../devices/dto/device-list-response.dto';
import { AdminOnly } from '../common/roles.decorator';
import { ApiProblemResponses } from '../common/api-problem.decorator';
import {
  type AuthContext,
  ClientMeta,
  CurrentAuth,
  type RequestMeta,
} from '../common/auth-context';
import type { Page } from '../common/keyset-cursor';
import { RequireFreshAuth } from '../common/require-fresh-auth.decorator';
import type { UserView } from '../users/users.service';
import { AdminUsersService } from './admin-users.service';
import {
  AdminUserDetailDto,
  AdminUserPageDto,
  CreateUserDto,
  ListUsersQueryDto,
  RevokedSessionsDto,
  UpdateUserDto,
} from './dto/admin-users.dto';

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

  @Post()
  @RequireFreshAuth()
  @ApiOperation({
    summary: 'Create a user (support); without a password, invite them to choose one',
    description:
      'With `password`, the account is ready to sign in. Without it, the account gets an ' +
      'unusable random password and the user a password-reset message (an invitation). ' +
      'Recorded as `user.registered` with the admin as `actorId`.',
  })
  @ApiCreatedResponse({ type: AdminUserDetailDto })
  @ApiProblemResponses(400, 401, 'step_up_required', 409)
  create(
    @Body() dto: CreateUserDto,
    @CurrentAuth() auth: AuthContext,
    @ClientMeta() meta: RequestMeta,
  ): Promise<AdminUserDetailDto> {
    return this.admin.create(dto, auth.userId, meta);
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

  @Delete(':id/mfa')
  @HttpCode(204)
  @RequireFreshAuth()
  @ApiOperation({
    summary: "Reset a user's second factors (TOTP, passkeys, recovery codes)",
    description:
      'For a user who lost their authenticator: they sign in with their password again and ' +
      'can enrol anew. Recorded as `mfa.disabled` (method `all`) and one `passkey.removed` per ' +
      'passkey, with the admin as `actorId`; raises a high-severity alert for the user. Needs ' +
      'a recent authentication (STEP_UP_MAX_AGE): otherwise 401 `step_up_required`.',
  })
  @ApiParam(USER_ID)
  @ApiNoContentResponse({ description: 'Every second factor of the user is removed' })
  @ApiProblemResponses(400, 401, 'step_up_required', 403, 404)
  async resetMfa(
    @Param('id', new ParseUUIDPipe()) id: string,
    @CurrentAuth() auth: AuthContext,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.admin.resetMfa(id, auth.userId, meta);
  }

  @Post(':id/password-reset')
  @HttpCode(202)
  @RequireFreshAuth()
  @ApiOperation({
    summary: 'Send the user a password-reset message (support)',
    description:
      'The same message as `POST /auth/password/forgot`; recorded as ' +
      '`password.reset_requested` with the admin as `actorId`. Sessions are untouched until ' +
      'the user resets.',
  })
  @ApiParam(USER_ID)
  @ApiAcceptedResponse({ description: 'The message is on its way' })
  @ApiProblemResponses(400, 401, 'step_up_required', 404)
  async sendPasswordReset(
    @Param('id', new ParseUUIDPipe()) id: string,
    @CurrentAuth() auth: AuthContext,
    @ClientMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.admin.sendPasswordReset(id, auth.userId, meta);
  }

  @Get(':id/devices')
  @ApiOperation({ summary: "A user's known devices (support view of GET /devices)" })
  @ApiParam(USER_ID)
  @ApiOkResponse({ type: DeviceListResponseDto })
  @ApiProblemResponses(400, 404)
  async devices(@Param('id', new ParseUUIDPipe()) id: string): Promise<DeviceListResponseDto> {
    return { items: await this.admin.devicesOf(id), nextCursor: null };
  }
}
