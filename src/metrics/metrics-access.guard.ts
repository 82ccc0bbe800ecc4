import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { AppException } from '../common/app.exception';
import { AppConfig } from '../config/app-config';

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * True when `presented` equals `expected`, in time independent of where they differ and of
 * their lengths (both are hashed to 32 bytes first, so timingSafeEqual never sees a mismatch
 * of length that would short-circuit).
 */
export function tokensMatch(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/**
 * METRICS_ACCESS: `public` lets anyone scrape; `token` wants `Authorization: Bearer
 * <METRICS_TOKEN>` (without a token configured, every scrape is refused); `off` hides the route.
 */
@Injectable()
export class MetricsAccessGuard implements CanActivate {
  constructor(private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const { metricsAccess, metricsToken } = this.config;
    if (metricsAccess === 'public') return true;
    if (metricsAccess === 'off') throw new AppException('not_found', 'Not found');
    const header = context.switchToHttp().getRequest<Request>().header('authorization') ?? '';
    const presented = /^Bearer (\S+)$/.exec(header)?.[1];
    if (
      presented !== undefined &&
      metricsToken !== undefined &&
      tokensMatch(presented, metricsToken)
    )
      return true;
    throw new AppException('unauthenticated', 'Metrics need the METRICS_TOKEN bearer token', {
      headers: { 'WWW-Authenticate': 'Bearer realm="metrics"' },
    });
  }
}
