import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppException } from '../../common/app.exception';
import type { AuthenticatedRequest } from '../../common/auth-context';
import { Clock } from '../../common/clock';
import { REQUIRE_FRESH_AUTH } from '../../common/require-fresh-auth.decorator';
import { AppConfig } from '../../config/app-config';
import { SessionPolicy } from '../../sessions/session-policy';

/**
 * RFC 9470 step-up: on routes marked @RequireFreshAuth(), the token's auth_time must be at most
 * max age old, else 401 step_up_required with the RFC's WWW-Authenticate challenge. Runs after
 * the access-token guard and reads only the verified claims (no database query).
 */
@Injectable()
export class FreshAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly policy: SessionPolicy,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const marker = this.reflector.getAllAndOverride<{ maxAgeSeconds?: number } | undefined>(
      REQUIRE_FRESH_AUTH,
      [context.getHandler(), context.getClass()],
    );
    if (!marker) return true;
    const { auth } = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (!auth) return true; // a public route: nothing to be fresh about
    const maxAgeSeconds =
      marker.maxAgeSeconds ??
      Math.floor((this.policy.stepUpMaxAgeMs?.(auth) ?? this.config.stepUpMaxAgeMs) / 1000);
    const ageSeconds = (this.clock.nowMs() - auth.authTime.getTime()) / 1000;
    if (ageSeconds <= maxAgeSeconds) return true;
    const description = 'A more recent authentication is required';
    throw new AppException('step_up_required', `${description}: POST /auth/reauth`, {
      headers: {
        'WWW-Authenticate': `Bearer error="insufficient_user_authentication", error_description="${description}", max_age=${maxAgeSeconds}`,
      },
    });
  }
}
