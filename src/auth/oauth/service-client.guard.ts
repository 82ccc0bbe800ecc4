import {
  applyDecorators,
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  Injectable,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiSecurity } from '@nestjs/swagger';
import type { Request } from 'express';
import { AppException } from '../../common/app.exception';
import { Public } from '../../common/public.decorator';
import { AppConfig } from '../../config/app-config';
import { RevocationView } from '../../sessions/revocation-view.service';
import { RolesGuard } from '../guards/roles.guard';
import { AccessTokenService } from '../tokens/access-token.service';
import { endpointUrl } from './endpoint-url';
import { ServiceClientAuthenticator } from './service-client-authenticator';
import { ServiceClientRepository } from './service-client.repository';
import { type ServiceCaller, ServiceCredentials, type ServiceScope } from './service-credentials';

export const SERVICE_SCOPE = 'tessera:serviceScope';
export const ADMIN_USER_ALLOWED = 'tessera:serviceAdminUserAllowed';

/** A request a ServiceClientGuard let through carries its caller. */
export type ServiceRequest = Request & { serviceCaller?: ServiceCaller };

const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

/** RFC 6750 §3: a bearer challenge, with the error when there is one. */
function bearerChallenge(error?: string, scope?: ServiceScope): Record<string, string> {
  const parts = ['realm="tessera"'];
  if (error) parts.push(`error="${error}"`);
  if (scope) parts.push(`scope="${scope}"`);
  return { 'WWW-Authenticate': `Bearer ${parts.join(', ')}` };
}

/**
 * A service route: another service calls it, never a user. Public to the user-token guard;
 * ServiceClientGuard authenticates the service and checks `scope`. Documented with the service
 * security schemes.
 */
export const RequireServiceScope = (scope: ServiceScope): MethodDecorator & ClassDecorator =>
  applyDecorators(
    Public(),
    SetMetadata(SERVICE_SCOPE, scope),
    UseGuards(ServiceClientGuard),
    ApiSecurity('serviceToken'),
    ApiSecurity('serviceClient'),
  );

/**
 * Deprecated compatibility (POST /oauth/introspect): an admin user's access token passes too.
 * Put it next to RequireServiceScope.
 */
export const AllowAdminUserToken = (): MethodDecorator =>
  applyDecorators(SetMetadata(ADMIN_USER_ALLOWED, true), ApiSecurity('bearer'));

/** The service a ServiceClientGuard authenticated (undefined for an admin user's token). */
export const CurrentServiceCaller = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ServiceCaller | undefined =>
    context.switchToHttp().getRequest<ServiceRequest>().serviceCaller,
);

/**
 * Authenticates a service on a route marked with RequireServiceScope, accepting
 * - `Authorization: Bearer <client_credentials access token>` (strictly verified; the client is
 *   re-read so a disabled one is refused at once; the token's scopes narrowed to the client's),
 * - direct client authentication (client_secret_basic, client_secret_post, private_key_jwt),
 * - the static REVOCATION_FEED_SECRET bearer (scope revocations:read).
 * A user's access token never passes (AccessTokenService.verifyService refuses any token with a
 * session), except an admin's on routes marked AllowAdminUserToken.
 */
@Injectable()
export class ServiceClientGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: ServiceClientAuthenticator,
    private readonly clients: ServiceClientRepository,
    private readonly tokens: AccessTokenService,
    private readonly credentials: ServiceCredentials,
    private readonly revocations: RevocationView,
    private readonly roles: RolesGuard,
    private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const scope = this.reflector.getAllAndOverride<ServiceScope | undefined>(SERVICE_SCOPE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!scope) throw new Error('ServiceClientGuard needs @RequireServiceScope(scope)');
    const request = context.switchToHttp().getRequest<ServiceRequest>();
    // Applied twice (RequireServiceScope and an explicit UseGuards): authenticate once.
    const allowAdmin = this.reflector.get<boolean>(ADMIN_USER_ALLOWED, context.getHandler());
    const caller = request.serviceCaller ?? (await this.callerOf(request, allowAdmin));
    if (!caller) return true; // an admin user's token on an AllowAdminUserToken route
    if (!caller.scopes.includes(scope)) {
      throw new AppException('insufficient_scope', `This needs the scope ${scope}`, {
        headers: bearerChallenge('insufficient_scope', scope),
        members: { error: 'insufficient_scope' },
      });
    }
    request.serviceCaller = caller;
    return true;
  }

  /**
   * The service a request authenticates as; undefined only for an admin user's token when
   * `allowAdminUser`. Throws 401 (invalid_client, unauthenticated, token_invalid) otherwise.
   */
  async callerOf(
    request: ServiceRequest,
    allowAdminUser = false,
  ): Promise<ServiceCaller | undefined> {
    if (this.authenticator.presents(request)) {
      return this.authenticator.authenticate(request, endpointUrl(this.config, request.path));
    }
    const authorization = request.header('authorization');
    const bearer = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    if (!bearer) {
      throw new AppException('unauthenticated', 'Service credentials are required', {
        headers: bearerChallenge(),
      });
    }
    if (!JWT.test(bearer)) {
      const caller = this.credentials.authenticate(authorization);
      if (caller) return caller;
      throw this.invalidToken();
    }
    const claims = this.tokens.verifyService(bearer);
    if (claims) {
      const client = await this.clients.findActive(claims.client_id);
      if (!client) throw this.invalidToken();
      const granted = claims.scope.split(' ');
      return {
        clientId: client.id,
        scopes: client.scopes.filter((scope) => granted.includes(scope)),
        expiresAtMs: claims.exp * 1000,
        registered: true,
      };
    }
    if (allowAdminUser) {
      await this.checkAdminUser(bearer);
      return undefined;
    }
    throw this.invalidToken();
  }

  /** The deprecated path: an admin's unbound, live user access token. */
  private async checkAdminUser(token: string): Promise<void> {
    const result = this.tokens.verify(token);
    if (!result.ok) throw new AppException(result.code);
    const { claims } = result;
    const ended = this.revocations.statusOf(claims.sid);
    if (ended) throw new AppException(ended === 'revoked' ? 'session_revoked' : 'session_expired');
    // A DPoP-bound token is never accepted as a plain bearer token.
    if (claims.cnf) throw new AppException('token_invalid', 'A DPoP-bound token needs its proof');
    await this.roles.check({ userId: claims.sub, amr: claims.amr }, ['admin']);
  }

  private invalidToken(): AppException {
    return new AppException('token_invalid', 'Not a valid service access token', {
      headers: bearerChallenge('invalid_token'),
    });
  }
}
