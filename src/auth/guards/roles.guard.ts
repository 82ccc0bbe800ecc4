import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppException } from '../../common/app.exception';
import type { AuthenticatedRequest } from '../../common/auth-context';
import type { Role } from '../../users/user.entity';
import { UsersService } from '../../users/users.service';
import { REQUIRED_ROLES } from '../../common/roles.decorator';

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
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const required = this.reflector.getAllAndOverride<Role[] | undefined>(REQUIRED_ROLES, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!required || required.length === 0) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (!request.auth) throw new AppException('unauthenticated');
    const user = await this.users.findById(request.auth.userId);
    if (!user || user.locked || !required.every((role) => user.roles.includes(role))) {
      throw new AppException('forbidden', 'This requires the admin role');
    }
    return true;
  }
}
