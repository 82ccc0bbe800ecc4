import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';

/** Who is calling, as established by the global authentication guard. */
export interface AuthContext {
  userId: string;
  sessionId: string;
  roles: readonly string[];
  tokenId: string;
  /** How the access token arrived: bearer header or cookie (cookie mode needs CSRF). */
  transport: 'bearer' | 'cookie';
  tokenExpiresAt: Date;
  /** When the user last authenticated in this session (the token's auth_time; RFC 9470). */
  authTime: Date;
  /** How (the token's amr; RFC 8176 values). */
  amr: readonly string[];
}

export interface RequestMeta {
  ip?: string;
  userAgent?: string;
}

export type AuthenticatedRequest = Request & { auth?: AuthContext };

/** The authenticated caller; only on routes behind the guard (not @Public()). */
export const CurrentAuth = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthContext => {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (!request.auth) throw new Error('CurrentAuth used on a route without authentication');
    return request.auth;
  },
);

/** The client's IP (the socket peer unless TRUST_PROXY says otherwise) and user agent. */
export const ClientMeta = createParamDecorator(
  (_data: unknown, context: ExecutionContext): RequestMeta => {
    const request = context.switchToHttp().getRequest<Request>();
    return requestMeta(request);
  },
);

export function requestMeta(request: Request): RequestMeta {
  const userAgent = request.header('user-agent');
  return { ip: request.ip, userAgent: userAgent ? userAgent.slice(0, 512) : undefined };
}
