import { Injectable } from '@nestjs/common';
import type { RequestMeta } from '../../common/auth-context';
import { Clock } from '../../common/clock';
import { TransactionRunner } from '../../events/transaction-runner.service';
import { RevocationView } from '../../sessions/revocation-view.service';
import { SessionsService } from '../../sessions/sessions.service';
import { AccessTokenService } from '../tokens/access-token.service';
import { ServiceClientRepository } from './service-client.repository';

export interface Introspection {
  active: boolean;
  token_type?: 'access_token' | 'refresh_token';
  sub?: string;
  sid?: string;
  iss?: string;
  aud?: string;
  exp?: number;
  iat?: number;
  jti?: string;
  roles?: string[];
  auth_time?: number;
  amr?: string[];
  /** Service tokens (client_credentials). */
  client_id?: string;
  scope?: string;
}

const looksLikeJwt = (token: string): boolean => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token);

/** RFC 7009 revocation and RFC 7662 introspection over Tessera's sessions. */
@Injectable()
export class OAuthService {
  constructor(
    private readonly tokens: AccessTokenService,
    private readonly sessions: SessionsService,
    private readonly revocations: RevocationView,
    private readonly transactions: TransactionRunner,
    private readonly clock: Clock,
    private readonly clients: ServiceClientRepository,
  ) {}

  /** Revoking either token ends its session; an unknown token is not an error (RFC 7009 §2.2). */
  async revoke(token: string, meta: RequestMeta): Promise<void> {
    const sessionId = await this.sessionOf(token);
    if (!sessionId) return;
    await this.transactions.run((tx) =>
      this.sessions.revoke(tx, { sessionIds: [sessionId] }, 'logout', meta),
    );
  }

  async introspect(token: string): Promise<Introspection> {
    if (looksLikeJwt(token)) {
      const result = this.tokens.verify(token);
      if (!result.ok) return this.introspectService(token);
      if (this.revocations.statusOf(result.claims.sid)) return { active: false };
      const { claims } = result;
      return {
        active: true,
        token_type: 'access_token',
        ...claims,
        roles: [...claims.roles],
        amr: [...claims.amr],
      };
    }
    const owner = await this.sessions.findByRefreshToken(token);
    const now = this.clock.nowMs();
    const live =
      owner &&
      owner.tokenStatus === 'active' &&
      owner.sessionStatus === 'active' &&
      new Date(owner.expiresAt).getTime() > now &&
      new Date(owner.idleExpiresAt).getTime() > now;
    if (!owner || !live) return { active: false };
    return {
      active: true,
      token_type: 'refresh_token',
      sub: owner.userId,
      sid: owner.sessionId,
      exp: Math.floor(
        Math.min(new Date(owner.expiresAt).getTime(), new Date(owner.idleExpiresAt).getTime()) /
          1000,
      ),
      iat: Math.floor(new Date(owner.issuedAt).getTime() / 1000),
    };
  }

  /** A client_credentials token is active while it verifies and its client is enabled. */
  private async introspectService(token: string): Promise<Introspection> {
    const claims = this.tokens.verifyService(token);
    if (!claims || !(await this.clients.findActive(claims.client_id))) return { active: false };
    return { active: true, token_type: 'access_token', ...claims };
  }

  private async sessionOf(token: string): Promise<string | undefined> {
    if (looksLikeJwt(token)) {
      const result = this.tokens.verify(token);
      return result.ok ? result.claims.sid : undefined;
    }
    return (await this.sessions.findByRefreshToken(token))?.sessionId;
  }
}
