import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, QueryFailedError, Repository } from 'typeorm';
import { AppException } from '../common/app.exception';
import { decodeCursor, encodeCursor, type Page } from '../common/keyset-cursor';
import type { Tx } from '../events/transaction-runner.service';
import { assertAcceptableEmail, emailSkeleton } from './email-identity';
import { PasswordHasher } from './password-hasher.service';
import { PasswordPolicy } from './password-policy';
import { type Role, UserEntity } from './user.entity';

export interface UserView {
  id: string;
  email: string;
  displayName: string | null;
  roles: Role[];
  locked: boolean;
  createdAt: string;
}

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

/** LIKE treats %, _ and \ as special; a typed prefix must match them literally. */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    private readonly hasher: PasswordHasher,
    private readonly policy: PasswordPolicy,
  ) {}

  static toView(user: UserEntity): UserView {
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

  async create(tx: Tx, input: NewUser, roles: Role[] = ['user']): Promise<UserEntity> {
    assertAcceptableEmail(input.email);
    const email = input.email.normalize('NFKC').trim();
    await this.assertPasswordAcceptable(input.password, { email, displayName: input.displayName });
    const passwordHash = await this.hasher.hash(input.password);
    const user = tx.manager.create(UserEntity, {
      email,
      emailNormalized: normalizeEmail(email),
      emailSkeleton: emailSkeleton(email),
      displayName: input.displayName?.trim() || null,
      roles,
      passwordHash,
      passwordChangedAt: tx.now(),
    });
    try {
      // A savepoint keeps the surrounding transaction usable after a unique violation.
      await tx.manager.transaction((inner) => inner.insert(UserEntity, user));
    } catch (error) {
      if (
        error instanceof QueryFailedError &&
        (error.driverError as { code?: string }).code === UNIQUE_VIOLATION
      ) {
        throw new AppException('email_taken', 'An account with this email already exists');
      }
      throw error;
    }
    await tx.record('user.registered', { userId: user.id }, {});
    return user;
  }

  findById(id: string, manager?: EntityManager): Promise<UserEntity | null> {
    return (manager?.getRepository(UserEntity) ?? this.users).findOneBy({ id });
  }

  findByEmail(email: string): Promise<UserEntity | null> {
    return this.users.findOneBy({ emailNormalized: normalizeEmail(email) });
  }

  /** Locks the user row for the rest of the transaction: serialises a user's logins and changes. */
  async lockForUpdate(tx: Tx, userId: string): Promise<UserEntity> {
    const user = await tx.manager
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .setLock('pessimistic_write')
      .where('u.id = :userId', { userId })
      .getOne();
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
    await this.users.update({ id: user.id, passwordHash: user.passwordHash }, { passwordHash });
  }

  async setPassword(tx: Tx, user: UserEntity, newPassword: string): Promise<void> {
    await this.assertPasswordAcceptable(newPassword, user);
    const passwordHash = await this.hasher.hash(newPassword);
    await tx.manager.update(
      UserEntity,
      { id: user.id },
      { passwordHash, passwordChangedAt: tx.now() },
    );
  }

  async setRoles(tx: Tx, userId: string, roles: Role[], actorId: string): Promise<UserEntity> {
    const user = await this.lockForUpdate(tx, userId);
    const unique = [...new Set<Role>(['user', ...roles])].sort();
    await tx.manager.update(UserEntity, { id: userId }, { roles: unique });
    await tx.record('user.roles_changed', { userId }, { roles: unique, actorId });
    return { ...user, roles: unique };
  }

  async setLocked(tx: Tx, userId: string, locked: boolean, actorId: string): Promise<UserEntity> {
    const user = await this.lockForUpdate(tx, userId);
    if (user.locked === locked) return user;
    await tx.manager.update(UserEntity, { id: userId }, { locked });
    if (locked) await tx.record('user.locked', { userId }, { reason: 'admin', actorId });
    else await tx.record('user.unlocked', { userId }, { reason: 'admin', actorId });
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
    const query = this.users.createQueryBuilder('u').orderBy('u.emailNormalized', 'ASC');
    const prefix = emailPrefix ? normalizeEmail(emailPrefix) : '';
    if (prefix) {
      query.andWhere(`u.emailNormalized LIKE :pattern ESCAPE '\\'`, {
        pattern: `${escapeLike(prefix)}%`,
      });
    }
    if (page.cursor) {
      const [after] = decodeCursor(page.cursor, [/^.{1,254}$/su]);
      query.andWhere('u.emailNormalized > :after', { after });
    }
    const rows = await query.limit(page.limit + 1).getMany();
    const items = rows.slice(0, page.limit);
    const last = items[items.length - 1];
    return {
      items: items.map((user) => UsersService.toView(user)),
      nextCursor: rows.length > page.limit && last ? encodeCursor([last.emailNormalized]) : null,
    };
  }
}
