import { Injectable } from '@nestjs/common';
import { QueryFailedError } from 'typeorm';
import { AppException } from '../common/app.exception';
import type { Page } from '../common/keyset-cursor';
import { TransactionRunner, type Tx } from '../events/transaction-runner.service';
import { ClusterBus } from '../events/cluster-bus';
import { assertAcceptableEmail, emailSkeleton } from './email-identity';
import { PasswordHasher } from './password-hasher.service';
import { PasswordPolicy } from './password-policy';
import { type Role, UserEntity } from './user.entity';
import { UserRepository } from './user.repository';

export interface UserView {
  id: string;
  email: string;
  displayName: string | null;
  roles: Role[];
  locked: boolean;
  createdAt: string;
}

/** What a user view is made of: an entity, or the user columns of a joined row. */
export type UserViewSource = Pick<
  UserEntity,
  'id' | 'email' | 'displayName' | 'roles' | 'locked' | 'createdAt'
>;

export interface NewUser {
  email: string;
  password: string;
  displayName?: string;
}

/** Case-insensitive, compatibility-normalised email used as the unique login key. */
export function normalizeEmail(email: string): string {
  return email.normalize('NFKC').trim().toLowerCase();
}

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UserRepository,
    private readonly transactions: TransactionRunner,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
    private readonly bus: ClusterBus,
  ) {}

  static toView(user: UserViewSource): UserView {
    return {
      id: user.id,
      email: user.email,
      displayName: user.displayName,
      roles: user.roles,
      locked: user.locked,
      createdAt: user.createdAt.toISOString(),
    };
  }

  async assertPasswordAcceptable(
    password: string,
    context: { email: string; displayName?: string | null },
  ): Promise<void> {
    const errors = await this.policy.toFieldErrors('password', password, context);
    if (errors.length > 0) {
      throw new AppException('validation_failed', 'The password does not meet the policy', {
        errors,
      });
    }
  }

  /** `actorId`: the administrator who created the account, when not self-registered. */
  async create(
    tx: Tx,
    input: NewUser,
    roles: Role[] = ['user'],
    actorId?: string,
  ): Promise<UserEntity> {
    assertAcceptableEmail(input.email);
    const email = input.email.normalize('NFKC').trim();
    await this.assertPasswordAcceptable(input.password, { email, displayName: input.displayName });
    const passwordHash = await this.hasher.hash(input.password);
    const user = this.users.build(tx, {
      email,
      emailNormalized: normalizeEmail(email),
      emailSkeleton: emailSkeleton(email),
      displayName: input.displayName?.trim() || null,
      roles,
      passwordHash,
      passwordChangedAt: tx.now(),
    });
    try {
      await this.users.insert(tx, user);
    } catch (error) {
      if (
        error instanceof QueryFailedError &&
        (error.driverError as { code?: string }).code === UNIQUE_VIOLATION
      ) {
        throw new AppException('email_taken', 'An account with this email already exists');
      }
      throw error;
    }
    await tx.record('user.registered', { userId: user.id }, actorId ? { actorId } : {});
    return user;
  }

  findById(id: string, tx?: Tx): Promise<UserEntity | null> {
    return this.users.findById(id, tx);
  }

  findByEmail(email: string): Promise<UserEntity | null> {
    return this.users.findByEmailNormalized(normalizeEmail(email));
  }

  /** Locks the user row for the rest of the transaction: serialises a user's logins and changes. */
  async lockForUpdate(tx: Tx, userId: string): Promise<UserEntity> {
    const user = await this.users.lockForUpdate(tx, userId);
    if (!user) throw new AppException('not_found', 'User not found');
    return user;
  }

  verifyPassword(user: UserEntity, password: string): Promise<boolean> {
    return this.hasher.verify(user.passwordHash, password);
  }

  verifyDummy(password: string): Promise<false> {
    return this.hasher.verifyDummy(password);
  }

  /** Upgrades an old hash after a successful login, when the parameters have grown. */
  async rehashIfNeeded(user: UserEntity, password: string): Promise<void> {
    if (!this.hasher.needsRehash(user.passwordHash)) return;
    const passwordHash = await this.hasher.hash(password);
    await this.transactions.run((tx) =>
      this.users.replacePasswordHash(tx, user.id, user.passwordHash, passwordHash),
    );
  }

  async setPassword(tx: Tx, user: UserEntity, newPassword: string): Promise<void> {
    await this.assertPasswordAcceptable(newPassword, user);
    const passwordHash = await this.hasher.hash(newPassword);
    await this.users.setPasswordHash(tx, user.id, passwordHash);
  }

  async setRoles(tx: Tx, userId: string, roles: Role[], actorId: string): Promise<UserEntity> {
    const user = await this.lockForUpdate(tx, userId);
    const unique = [...new Set<Role>(['user', ...roles])].sort();
    await this.users.setRoles(tx, userId, unique);
    await tx.record('user.roles_changed', { userId }, { roles: unique, actorId });
    await this.announceChange(tx, userId);
    return { ...user, roles: unique };
  }

  /** Every instance drops its cached views of the user once this commits (GET /auth/me). */
  private announceChange(tx: Tx, userId: string): Promise<void> {
    return this.bus.publishOnCommit(tx, 'user_changed', { u: userId });
  }

  async setLocked(tx: Tx, userId: string, locked: boolean, actorId: string): Promise<UserEntity> {
    const user = await this.lockForUpdate(tx, userId);
    if (user.locked === locked) return user;
    await this.users.setLocked(tx, userId, locked);
    if (locked) await tx.record('user.locked', { userId }, { reason: 'admin', actorId });
    else await tx.record('user.unlocked', { userId }, { reason: 'admin', actorId });
    await this.announceChange(tx, userId);
    return { ...user, locked };
  }

  /**
   * Admin search: users whose normalised email starts with `emailPrefix`, in email order, keyset
   * paginated on the unique email_normalized (so ux_users_email_normalized serves the order).
   */
  async searchByEmailPrefix(
    emailPrefix: string | undefined,
    page: { limit: number; cursor?: string },
  ): Promise<Page<UserView>> {
    const prefix = emailPrefix ? normalizeEmail(emailPrefix) : '';
    const { items, nextCursor } = await this.users.pageByEmailPrefix(prefix, page);
    return { items: items.map((user) => UsersService.toView(user)), nextCursor };
  }
}
