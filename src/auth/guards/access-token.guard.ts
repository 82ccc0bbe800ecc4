import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AppException } from '../../common/app.exception';
import type { AuthContext, AuthenticatedRequest } from '../../common/auth-context';
import { IS_PUBLIC, OPTIONAL_AUTH } from '../../common/public.decorator';
import { AppConfig } from '../../config/app-config';
import { ActivityTracker } from '../../sessions/activity-tracker.service';
import { RevocationView } from '../../sessions/revocation-view.service';
import { SessionExpiryService } from '../../sessions/session-expiry.service';
import { AccessTokenService } from '../tokens/access-token.service';
import { AuthCookies } from '../browser/auth-cookies';
import { CsrfService } from '../browser/csrf.service';
import { DpopService } from '../dpop/dpop.service';
import type { AccessClaims } from '../tokens/access-token.service';
import { CSRF_ON_ORIGINAL_METHOD, claimedMethods, originalTarget } from './original-method';

type Scheme = 'bearer' | 'dpop' | 'cookie';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The global guard: deny by default. A valid request costs no database query: the token is
 * verified in memory (cached), its session checked against the in-memory revocation view, and
 * activity noted for a later coalesced write.
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  private readonly cookies: AuthCookies;

  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: AccessTokenService,
    private readonly revocations: RevocationView,
    private readonly activity: ActivityTracker,
    private readonly expiry: SessionExpiryService,
    private readonly csrf: CsrfService,
    private readonly dpop: DpopService,
    config: AppConfig,
  ) {
    this.cookies = new AuthCookies(config);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const onOriginalMethod =
      this.reflector.get<boolean>(CSRF_ON_ORIGINAL_METHOD, context.getHandler()) === true;
    if (isPublic) {
      if (this.reflector.get<boolean>(OPTIONAL_AUTH, context.getHandler())) {
        await this.authenticate(request, onOriginalMethod).catch(() => undefined);
      }
      return true;
    }
    await this.authenticate(request, onOriginalMethod);
    return true;
  }

  /** Whether cookie mode needs a CSRF token: the request's method, or a gateway's original one. */
  private isUnsafe(request: AuthenticatedRequest, onOriginalMethod: boolean): boolean {
    const methods = onOriginalMethod ? claimedMethods(request) : [request.method];
    return methods.some((method) => !SAFE_METHODS.has(method));
  }

  /**
   * Sets (and returns) request.auth from a valid token, or throws the contract's 401 (or csrf_failed).
   * Public for ForwardAuthService, which serves /auth/verify outside Nest's pipeline with this
   * same check; `onOriginalMethod` is what @CsrfOnOriginalMethod() marks on a route.
   */
  async authenticate(
    request: AuthenticatedRequest,
    onOriginalMethod: boolean,
  ): Promise<AuthContext> {
    const unsafe = this.isUnsafe(request, onOriginalMethod);
    const { token, scheme } = this.extract(request);
    const transport = scheme === 'cookie' ? 'cookie' : 'bearer';
    if (!token) {
      // A browser still holding the refresh cookie lost only its access cookie (one set before
      // the access cookie outlived its token): it should refresh, not sign in again.
      if (transport === 'cookie' && this.cookies.refresh(request)) {
        throw new AppException('token_expired');
      }
      throw new AppException('unauthenticated', 'An access token is required');
    }

    const result = this.tokens.verify(token);
    if (!result.ok) {
      if (result.code === 'token_expired') await this.explainExpired(result.claims.sid);
      throw new AppException(result.code);
    }
    const { claims } = result;
    const ended = this.revocations.statusOf(claims.sid);
    if (ended) throw new AppException(ended === 'revoked' ? 'session_revoked' : 'session_expired');
    // Most tokens are not key-bound: no proof to check, so no await on every request's path.
    if (claims.cnf?.jkt || scheme === 'dpop') {
      await this.checkBinding(request, onOriginalMethod, { token, scheme, claims });
    }
    if (transport === 'cookie' && unsafe) {
      if (!this.csrf.verify(claims.sid, request.header('x-csrf-token'))) {
        throw new AppException('csrf_failed', 'Send the csrfToken from login as X-CSRF-Token');
      }
    }
    this.activity.touch(claims.sid);
    const auth: AuthContext = {
      userId: claims.sub,
      sessionId: claims.sid,
      roles: claims.roles,
      tokenId: claims.jti,
      transport,
      tokenExpiresAt: new Date(claims.exp * 1000),
      authTime: new Date(claims.auth_time * 1000),
      amr: claims.amr,
    };
    request.auth = auth;
    return auth;
  }

  private extract(request: AuthenticatedRequest): { token?: string; scheme: Scheme } {
    const header = request.header('authorization');
    if (header) {
      const match = /^(Bearer|DPoP) ([\w-]+\.[\w-]+\.[\w-]+)$/.exec(header);
      if (!match) {
        throw new AppException(
          'token_invalid',
          'Use "Authorization: Bearer <token>" or "DPoP <token>"',
        );
      }
      return { token: match[2], scheme: match[1] === 'DPoP' ? 'dpop' : 'bearer' };
    }
    return { token: this.cookies.access(request), scheme: 'cookie' };
  }

  /**
   * DPoP (RFC 9449 §7): a key-bound token (cnf.jkt) is accepted only with a proof of that key
   * for this request, never as a Bearer token; the DPoP scheme with an unbound token is refused
   * too. The proof check is in memory (no query; see DpopService on replay across instances).
   */
  private async checkBinding(
    request: AuthenticatedRequest,
    onOriginalMethod: boolean,
    presented: { token: string; scheme: Scheme; claims: AccessClaims },
  ): Promise<void> {
    const jkt = presented.claims.cnf?.jkt;
    if (!jkt) {
      if (presented.scheme !== 'dpop') return;
      throw new AppException('token_invalid', 'This access token is not DPoP-bound: use Bearer');
    }
    if (presented.scheme === 'bearer') {
      throw this.dpop.resourceError({
        code: 'invalid_dpop_proof',
        detail: 'This access token is DPoP-bound: send "Authorization: DPoP <token>" and a proof',
      });
    }
    const original = onOriginalMethod ? originalTarget(request) : undefined;
    await this.dpop.atResource({
      method: original?.method ?? request.method,
      path: request.originalUrl,
      absoluteUrl: original?.url,
      proof: request.header('dpop'),
      accessToken: presented.token,
      jkt,
    });
  }

  /** An expired token whose session has ended says so, so the client signs in instead of refreshing. */
  private async explainExpired(sessionId: string): Promise<void> {
    const status = await this.expiry.endedStatus(sessionId);
    if (status === 'expired') throw new AppException('session_expired');
    if (status === 'revoked') throw new AppException('session_revoked');
  }
}
