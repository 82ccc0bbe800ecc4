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
import { AppException } from '../common/app.exception';
import {
  type AuthContext,
  ClientMeta,
  CurrentAuth,
  type RequestMeta,
} from '../common/auth-context';
import { Clock } from '../common/clock';
import type { Page } from '../common/keyset-cursor';
import { DevicesService } from '../devices/devices.service';
import { TransactionRunner } from '../events/transaction-runner.service';
import type { Tx } from '../events/transaction-runner.service';
import { SessionSearchService } from '../sessions/session-search.service';
import { SessionsService } from '../sessions/sessions.service';
import type { Role } from '../users/user.entity';
import { UsersService, type UserView } from '../users/users.service';
import {
  AdminUserDetailDto,
  AdminUserPageDto,
  ListUsersQueryDto,
  RevokedSessionsDto,
  UpdateUserDto,
} from './dto/admin-users.dto';

const USER_ID = { name: 'id', format: 'uuid', description: 'User id' };

const sameRoles = (a: readonly Role[], b: readonly Role[]): boolean =>
  [...new Set<Role>(['user', ...a])].sort().join() ===
  [...new Set<Role>(['user', ...b])].sort().join();

@AdminOnly()
@ApiProblemResponses(401, 403)
@Controller('admin/users')
export class AdminUsersController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly search: SessionSearchService,
    private readonly devices: DevicesService,
    private readonly transactions: TransactionRunner,
    private readonly clock: Clock,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'List users, optionally by email prefix (keyset-paginated, email order)',
  })
  @ApiOkResponse({ type: AdminUserPageDto })
  @ApiProblemResponses(400)
  list(@Query() query: ListUsersQueryDto): Promise<Page<UserView>> {
    return this.users.searchByEmailPrefix(query.email, {
      limit: query.limit,
      cursor: query.cursor,
    });
  }

  @Get(':id')
  @ApiOperation({ summary: 'One user, with session and device counts' })
  @ApiParam(USER_ID)
  @ApiOkResponse({ type: AdminUserDetailDto })
  @ApiProblemResponses(400, 404)
  detail(@Param('id', new ParseUUIDPipe()) id: string): Promise<AdminUserDetailDto> {
    return this.detailOf(id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change roles and/or lock or unlock a user',
    description:
      'Locking revokes every session of the user (reason `admin`). Takes effect on the next ' +
      'request, also for a demoted admin. Admins cannot demote or lock themselves.',
  })
  @ApiParam(USER_ID)
  @ApiOkResponse({ type: AdminUserDetailDto })
  @ApiProblemResponses(400, 404)
  async update(
    @Param('id', new ParseUUIDPipe()) id: string,
    @Body() dto: UpdateUserDto,
    @CurrentAuth() auth: AuthContext,
    @ClientMeta() meta: RequestMeta,
  ): Promise<AdminUserDetailDto> {
    if (dto.roles === undefined && dto.locked === undefined) {
      throw new AppException('validation_failed', 'Give roles and/or locked');
    }
    if (
      id === auth.userId &&
      (dto.locked === true || (dto.roles && !dto.roles.includes('admin')))
    ) {
      // Guards against the last admin locking everyone out; another admin can do it.
      throw new AppException('validation_failed', 'Admins cannot demote or lock themselves');
    }
    await this.transactions.run((tx) => this.applyUpdate(tx, id, dto, auth.userId, meta));
    return this.detailOf(id);
  }

  @Post(':id/sessions/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: "Revoke every session of a user (reason 'admin')" })
  @ApiParam(USER_ID)
  @ApiOkResponse({ type: RevokedSessionsDto })
  @ApiProblemResponses(400, 404)
  async revokeAll(
    @Param('id', new ParseUUIDPipe()) id: string,
    @CurrentAuth() auth: AuthContext,
    @ClientMeta() meta: RequestMeta,
  ): Promise<RevokedSessionsDto> {
    const revoked = await this.transactions.run(async (tx) => {
      await this.users.lockForUpdate(tx, id); // 404 for an unknown user
      return this.sessions.revoke(tx, { userId: id }, 'admin', { actorId: auth.userId, ...meta });
    });
    return { revoked: revoked.length };
  }

  /** Role change, lock and the lock's session revocation commit (and are audited) together. */
  private async applyUpdate(
    tx: Tx,
    id: string,
    dto: UpdateUserDto,
    actorId: string,
    meta: RequestMeta,
  ): Promise<void> {
    const user = await this.users.lockForUpdate(tx, id);
    if (dto.roles && !sameRoles(dto.roles, user.roles))
      await this.users.setRoles(tx, id, dto.roles, actorId);
    if (dto.locked !== undefined) await this.users.setLocked(tx, id, dto.locked, actorId);
    if (dto.locked === true)
      await this.sessions.revoke(tx, { userId: id }, 'admin', { actorId, ...meta });
  }

  private async detailOf(id: string): Promise<AdminUserDetailDto> {
    const user = await this.users.findById(id);
    if (!user) throw new AppException('not_found', 'User not found');
    const [counts, devices] = await Promise.all([
      this.search.countsForUser(id),
      this.devices.list(id, this.clock.now()),
    ]);
    return { ...UsersService.toView(user), ...counts, devices: devices.length };
  }
}
