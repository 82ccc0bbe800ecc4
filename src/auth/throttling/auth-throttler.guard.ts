import { type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import {
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerOptions,
} from '@nestjs/throttler';
import type { AppConfig } from '../../config/app-config';
import type { Request } from 'express';
import { AppException } from '../../common/app.exception';
import type { AuthenticatedRequest } from '../../common/auth-context';
import { normalizeEmail } from '../../users/users.service';
import { clientNetworkKey } from '../../common/client-network';

/**
 * RATE_LIMIT_AUTH on credential-accepting routes, counted per client IP ("ip") and per account
 * ("account": the email in the body, or the signed-in user). Answers 429 rate_limited with a
 * standard Retry-After.
 */
@Injectable()
export class AuthThrottlerGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    throw new AppException('rate_limited', 'Too many attempts; slow down', {
      retryAfterSeconds: detail.timeToBlockExpire,
    });
  }
}

/** The "account" throttler's key: who the request is about, not where it comes from. */
export function accountTracker(req: Record<string, unknown>): string {
  const request = req as unknown as AuthenticatedRequest & Request;
  const body = request.body as { email?: unknown } | undefined;
  if (typeof body?.email === 'string') return `email:${normalizeEmail(body.email)}`;
  if (request.auth) return `user:${request.auth.userId}`;
  return `ip:${clientNetworkKey(request.ip)}`;
}

/** The "ip" throttlers' key: the client's /24 or /64, so rotating addresses share one budget. */
export function networkTracker(req: Record<string, unknown>): string {
  return clientNetworkKey((req as unknown as Request).ip);
}

const REFRESH_ROUTE = 'tessera:refresh-rate-limit';
const GLOBAL_BUDGET = 'tessera:auth-global-budget';
const LOGIN_ROUTE = 'tessera:login-route';
/** Refresh is routine for clients: it gets its own, looser per-IP limit. */
const REFRESH_LIMIT_FACTOR = 6;

/** Marks the refresh route, which the "refresh" throttler counts instead of "ip"/"account". */
export const RefreshRateLimit = (): MethodDecorator => SetMetadata(REFRESH_ROUTE, true);

function isRefreshRoute(context: ExecutionContext): boolean {
  return Reflect.getMetadata(REFRESH_ROUTE, context.getHandler()) === true;
}

/** Marks login and register: they also draw on RATE_LIMIT_AUTH_GLOBAL, shared by all clients. */
export const GlobalAuthBudget = (): MethodDecorator => SetMetadata(GLOBAL_BUDGET, true);

function hasGlobalBudget(context: ExecutionContext): boolean {
  return Reflect.getMetadata(GLOBAL_BUDGET, context.getHandler()) === true;
}

/**
 * Marks the login route: it is not limited per account by this guard, since a per-email budget
 * anyone can spend would let a stranger keep the owner out. Failed-login protection
 * (LoginProtectionService) limits guessing per account and network instead.
 */
export const LoginRoute = (): MethodDecorator => SetMetadata(LOGIN_ROUTE, true);

function isLoginRoute(context: ExecutionContext): boolean {
  return Reflect.getMetadata(LOGIN_ROUTE, context.getHandler()) === true;
}

export function authThrottlers(config: AppConfig): ThrottlerOptions[] {
  const { limit, windowMs, enabled } = config.rateLimit;
  const off = (): boolean => !enabled;
  return [
    {
      name: 'ip',
      limit,
      ttl: windowMs,
      getTracker: networkTracker,
      skipIf: (ctx) => off() || isRefreshRoute(ctx),
    },
    {
      name: 'account',
      limit,
      ttl: windowMs,
      getTracker: accountTracker,
      skipIf: (ctx) => off() || isRefreshRoute(ctx) || isLoginRoute(ctx),
    },
    {
      // Sheds a flood spread over many networks before it reaches argon2 or the database.
      name: 'global',
      limit: config.rateLimit.global.limit,
      ttl: config.rateLimit.global.windowMs,
      getTracker: () => 'all',
      // One bucket for both routes (the default key is per route).
      generateKey: () => 'auth-global',
      skipIf: (ctx) => off() || !hasGlobalBudget(ctx),
    },
    {
      name: 'refresh',
      limit: limit * REFRESH_LIMIT_FACTOR,
      ttl: windowMs,
      getTracker: networkTracker,
      skipIf: (ctx) => off() || !isRefreshRoute(ctx),
    },
  ];
}
