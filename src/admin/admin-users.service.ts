import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AuthService } from '../auth/auth.service';
import { AppException } from '../common/app.exception';
import type { RequestMeta } from '../common/auth-context';
import { LoginProtectionService } from '../auth/throttling/login-protection.service';
import { Clock } from '../common/clock';
import type { Page } from '../common/keyset-cursor';
import { DevicesService, type DeviceView } from '../devices/devices.service';
import { TransactionRunner, type Tx } from '../events/transaction-runner.service';
import { MfaService } from '../mfa/mfa.service';
import { SessionSearchService } from '../sessions/session-search.service';
import { SessionsService } from '../sessions/sessions.service';
import type { Role, UserEntity } from '../users/user.entity';
import { type NewUser, UsersService, type UserView } from '../users/users.service';

export interface AdminUserDetail extends UserView {
  activeSessions: number;
  totalSessions: number;
  devices: number;
}

/** An account an administrator opens for a user; without a password it is an invitation. */
export interface AdminNewUser {
  email: string;
  password?: string;
  displayName?: string;
  roles?: Role[];
}

export interface AdminUserChange {
  roles?: Role[];
  locked?: boolean;
}

export interface RoleChange {
  user: UserEntity;
  /** False when the user already had (or lacked) the role: nothing was written. */
  changed: boolean;
}

const sameRoles = (a: readonly Role[], b: readonly Role[]): boolean =>
  [...new Set<Role>(['user', ...a])].sort().join() ===
  [...new Set<Role>(['user', ...b])].sort().join();

/**
 * The administrators' rules over users (HTTP admin routes and the operator CLI alike): who may
 * change whom, and which changes commit together.
 */
@Injectable()
export class AdminUsersService {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly protection: LoginProtectionService,
    private readonly search: SessionSearchService,
    private readonly devices: DevicesService,
    private readonly mfa: MfaService,
    private readonly auth: AuthService,
    private readonly transactions: TransactionRunner,
    private readonly clock: Clock,
  ) {}

  list(
    emailPrefix: string | undefined,
    page: { limit: number; cursor?: string },
  ): Promise<Page<UserView>> {
    return this.users.searchByEmailPrefix(emailPrefix, page);
  }

  async detail(id: string): Promise<AdminUserDetail> {
    const user = await this.users.findById(id);
    if (!user) throw new AppException('not_found', 'User not found');
    const [counts, devices] = await Promise.all([
      this.search.countsForUser(id),
      this.devices.list(id, this.clock.now()),
    ]);
    return { ...UsersService.toView(user), ...counts, devices: devices.length };
  }

  /**
   * Opens an account for a user (support). Without a password the account gets a random one
   * nobody knows and the user a password-reset message: they choose their own (an invitation).
   * Created as a plain user, then granted further roles, so the audit trail shows who did what.
   */
  async create(
    input: AdminNewUser,
    actorId: string,
    meta: RequestMeta = {},
  ): Promise<AdminUserDetail> {
    const password = input.password ?? randomBytes(32).toString('base64url');
    const user = await this.transactions.run(async (tx) => {
      const created = await this.users.create(
        tx,
        { email: input.email, password, displayName: input.displayName },
        ['user'],
        actorId,
      );
      const roles = input.roles ?? [];
      if (sameRoles(roles, created.roles)) return created;
      return this.users.setRoles(tx, created.id, [...new Set<Role>(['user', ...roles])], actorId);
    });
    if (input.password === undefined) await this.auth.forgotPassword(user.email, meta, actorId);
    return this.detail(user.id);
  }

  /** Sends the user a password-reset message on an administrator's behalf; 404 for an unknown user. */
  async sendPasswordReset(id: string, actorId: string, meta: RequestMeta = {}): Promise<void> {
    const user = await this.users.findById(id);
    if (!user) throw new AppException('not_found', 'User not found');
    await this.auth.forgotPassword(user.email, meta, actorId);
  }

  /** The user's known devices, as the user sees them; 404 for an unknown user. */
  async devicesOf(id: string): Promise<DeviceView[]> {
    if (!(await this.users.findById(id))) throw new AppException('not_found', 'User not found');
    return this.devices.list(id, this.clock.now());
  }

  /**
   * Role change, lock and the lock's session revocation commit (and are audited) together.
   * Admins cannot demote or lock themselves: that guards against the last admin locking
   * everyone out; another admin can do it.
   */
  async update(
    id: string,
    change: AdminUserChange,
    actorId: string,
    meta: RequestMeta = {},
  ): Promise<AdminUserDetail> {
    if (change.roles === undefined && change.locked === undefined) {
      throw new AppException('validation_failed', 'Give roles and/or locked');
    }
    if (
      id === actorId &&
      (change.locked === true || (change.roles && !change.roles.includes('admin')))
    ) {
      throw new AppException('validation_failed', 'Admins cannot demote or lock themselves');
    }
    await this.transactions.run((tx) => this.applyUpdate(tx, id, change, actorId, meta));
    return this.detail(id);
  }

  /** Revokes every session of the user (reason `admin`); 404 for an unknown user. */
  revokeAllSessions(id: string, actorId: string, meta: RequestMeta = {}): Promise<string[]> {
    return this.transactions.run(async (tx) => {
      await this.users.lockForUpdate(tx, id);
      return this.sessions.revoke(tx, { userId: id }, 'admin', { actorId, ...meta });
    });
  }

  /**
   * Revokes the user's sessions (all, or only `sessionIds`) for an operator; returns the ids
   * actually revoked.
   */
  revokeSessions(userId: string, actorId: string, sessionIds?: string[]): Promise<string[]> {
    const filter = sessionIds ? { userId, sessionIds } : { userId };
    return this.transactions.run((tx) => this.sessions.revoke(tx, filter, 'admin', { actorId }));
  }

  /** Revokes one session (reason `admin`); 404 for an unknown one, an ended one is left as is. */
  async revokeSession(sessionId: string, actorId: string, meta: RequestMeta = {}): Promise<void> {
    await this.sessions.getView(sessionId);
    await this.transactions.run((tx) =>
      this.sessions.revoke(tx, { sessionIds: [sessionId] }, 'admin', { actorId, ...meta }),
    );
  }

  /**
   * Removes every second factor of the user (TOTP, passkeys, recovery codes), for a user who
   * lost them; audited with the admin (or the CLI) as actor. 404 for an unknown user. The
   * user's sessions stay: they were authenticated when the factors still existed.
   */
  resetMfa(id: string, actorId: string, meta: RequestMeta = {}): Promise<void> {
    return this.transactions.run(async (tx) => {
      await this.users.lockForUpdate(tx, id);
      await this.mfa.resetAll(tx, id, actorId, meta);
    });
  }

  /** Grants or takes away the admin role; roles are re-read on every admin request. */
  async setAdmin(user: UserEntity, grant: boolean, actorId: string): Promise<RoleChange> {
    if (user.roles.includes('admin') === grant) return { user, changed: false };
    const roles: Role[] = grant
      ? [...user.roles, 'admin']
      : user.roles.filter((role) => role !== 'admin');
    const updated = await this.transactions.run((tx) =>
      this.users.setRoles(tx, user.id, roles, actorId),
    );
    return { user: updated, changed: true };
  }

  /**
   * Creates a user with the admin role, or grants it to the existing user with this email.
   * Created as a plain user, then granted: the audit trail shows who made the admin.
   */
  async createAdmin(input: NewUser, actorId: string): Promise<RoleChange & { created: boolean }> {
    // Looked up before the transaction: the embedded database has a single connection.
    const existing = await this.users.findByEmail(input.email);
    if (existing?.roles.includes('admin'))
      return { user: existing, changed: false, created: false };
    const user = await this.transactions.run(async (tx) => {
      const target = existing ?? (await this.users.create(tx, input));
      return this.users.setRoles(tx, target.id, [...target.roles, 'admin'], actorId);
    });
    return { user, changed: true, created: !existing };
  }

  private async applyUpdate(
    tx: Tx,
    id: string,
    change: AdminUserChange,
    actorId: string,
    meta: RequestMeta,
  ): Promise<void> {
    const user = await this.users.lockForUpdate(tx, id);
    if (change.roles && !sameRoles(change.roles, user.roles))
      await this.users.setRoles(tx, id, change.roles, actorId);
    if (change.locked !== undefined) await this.users.setLocked(tx, id, change.locked, actorId);
    // Unlocking also lifts every failed-login delay of the account (contract: admin unlock).
    if (change.locked === false) await this.protection.clearAccount(user.emailNormalized, tx);
    if (change.locked === true)
      await this.sessions.revoke(tx, { userId: id }, 'admin', { actorId, ...meta });
  }
}
