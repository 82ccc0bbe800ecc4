import { createHash, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';

/** What a service may do with its credential (a service client holds some of these). */
export type ServiceScope =
  'revocations:read' | 'tokens:introspect' | 'tokens:revoke' | 'ssf:stream';

export const SERVICE_SCOPES: readonly ServiceScope[] = [
  'revocations:read',
  'tokens:introspect',
  'tokens:revoke',
  'ssf:stream',
];

/** How a service client authenticates (RFC 7591 token_endpoint_auth_method values). */
export type ServiceClientAuthMethod =
  'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

export const SERVICE_CLIENT_AUTH_METHODS: readonly ServiceClientAuthMethod[] = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
];

/** A caller that is another service rather than a user. */
export interface ServiceCaller {
  readonly clientId: string;
  readonly scopes: readonly ServiceScope[];
  /** When the caller's token expires (epoch ms); absent for secrets and client authentication. */
  readonly expiresAtMs?: number;
  /** A registered client (in service_clients), as opposed to the configured shared secret. */
  readonly registered?: boolean;
}

interface ServiceClient extends ServiceCaller {
  readonly secretDigest: Buffer;
}

const digest = (secret: string): Buffer => createHash('sha256').update(secret, 'utf8').digest();

/**
 * Recognises the static service credential presented as `Authorization: Bearer <secret>`: the
 * shared REVOCATION_FEED_SECRET. Registered service clients are ServiceClientAuthenticator's;
 * ServiceClientGuard accepts both. Secrets are compared as SHA-256 digests with
 * timingSafeEqual: equal lengths, and no early exit that would leak how much matched.
 */
@Injectable()
export class ServiceCredentials {
  private readonly clients: readonly ServiceClient[];

  constructor(config: AppConfig) {
    const feed = config.revocationFeed;
    this.clients = feed
      ? [
          {
            clientId: 'revocation-feed',
            scopes: ['revocations:read'],
            secretDigest: digest(feed.secret),
          },
        ]
      : [];
  }

  /** Whether any service may hold `scope` in this configuration (else its routes are off). */
  offers(scope: ServiceScope): boolean {
    return this.clients.some((client) => client.scopes.includes(scope));
  }

  /** The caller an Authorization header names, or undefined. Checks every client (no early exit). */
  authenticate(authorization: string | undefined): ServiceCaller | undefined {
    const match = /^Bearer (\S+)$/.exec(authorization ?? '');
    if (!match) return undefined;
    const presented = digest(match[1]);
    let found: ServiceClient | undefined;
    for (const client of this.clients) {
      if (timingSafeEqual(client.secretDigest, presented)) found = client;
    }
    return found && { clientId: found.clientId, scopes: found.scopes };
  }
}
