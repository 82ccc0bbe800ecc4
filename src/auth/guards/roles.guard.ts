import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppException } from '../../common/app.exception';
import type { AuthContext, AuthenticatedRequest } from '../../common/auth-context';
import type { Role } from '../../users/user.entity';
import { UsersService } from '../../users/users.service';
import { REQUIRED_ROLES } from '../../common/roles.decorator';
import { AppConfig } from '../../config/app-config';

/**
 * Runs after the access-token guard. The token's roles claim can be up to one token lifetime
 * stale, so role-protected routes re-read the user: a demoted or locked admin loses access on
 * the very next request.
 */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly users: UsersService,
    private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const required = this.reflector.getAllAndOverride<Role[] | undefined>(REQUIRED_ROLES, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!required || required.length === 0) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (!request.auth) throw new AppException('unauthenticated');
    await this.check(request.auth, required);
    return true;
  }

  /** Throws unless the caller's user holds every role now (and, for admin, a second factor). */
  async check(auth: Pick<AuthContext, 'userId' | 'amr'>, required: readonly Role[]): Promise<void> {
    const user = await this.users.findById(auth.userId);
    if (!user || user.locked || !required.every((role) => user.roles.includes(role))) {
      throw new AppException('forbidden', 'This requires the admin role');
    }
    // ADMIN_REQUIRE_MFA: admin routes need a session created (or stepped up) with a second
    // factor. The /me/mfa* routes carry no role, so an admin can still enrol; the CLI has no guard.
    if (this.config.adminRequireMfa && required.includes('admin') && !auth.amr.includes('mfa')) {
      throw new AppException(
        'mfa_enrollment_required',
        'Admin routes need a session signed in with a second factor; enrol one under /me/mfa',
      );
    }
  }
}
