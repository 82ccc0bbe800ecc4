import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { AppException } from '../../common/app.exception';
import { Clock } from '../../common/clock';
import { constantTimeEqual } from '../../common/constant-time';
import { hashToken } from '../../common/opaque-token';
import { AppConfig } from '../../config/app-config';
import { endpointUrl } from './endpoint-url';
import { type ServiceClientRecord, ServiceClientRepository } from './service-client.repository';
import type { ServiceCaller } from './service-credentials';

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Asymmetric algorithms only: a client's JWKS holds public keys, never a shared secret. */
export const CLIENT_ASSERTION_ALGORITHMS = [
  'RS256',
  'PS256',
  'ES256',
  'EdDSA',
  'RS384',
  'PS384',
  'ES384',
  'RS512',
  'PS512',
  'ES512',
];

/** RFC 7523 §3: an assertion is short-lived; one that claims to live longer is refused. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;
const CLOCK_TOLERANCE_SECONDS = 5;
const PRUNE_EVERY = 100;

/** The request as the authenticator needs it (express's Request fits). */
export interface ClientAuthRequest {
  headers: Record<string, string | string[] | undefined>;
  body?: unknown;
}

/** Compared against when the client id is unknown, so both paths do the same work. */
const ABSENT_SECRET_HASH = hashToken('no such client');

/** RFC 6749 §5.2: 401, `error: invalid_client`, and a challenge for the Basic scheme. */
export function invalidClient(detail: string): AppException {
  return new AppException('invalid_client', detail, {
    headers: { 'WWW-Authenticate': 'Basic realm="tessera", charset="UTF-8"' },
    members: { error: 'invalid_client', error_description: detail },
  });
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function bodyField(body: unknown, name: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/** RFC 6749 §2.3.1: the id and the secret are each form-urlencoded before Basic encoding. */
function formDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** The id and secret of an `Authorization: Basic` header, or undefined when it is malformed. */
export function parseBasicCredentials(
  header: string,
): { clientId: string; secret: string } | undefined {
  const match = /^Basic ([A-Za-z0-9+/]+={0,2})$/i.exec(header.trim());
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const clientId = formDecode(decoded.slice(0, colon));
  const secret = formDecode(decoded.slice(colon + 1));
  if (!clientId || !secret) return undefined;
  return { clientId, secret };
}

type Presented =
  | { method: 'basic' | 'post'; clientId: string; secret: string }
  | { method: 'assertion'; assertion: string; assertionType: string };

/**
 * Authenticates registered service clients (RFC 6749 §2.3.1 client_secret_basic and
 * client_secret_post, RFC 7523 private_key_jwt). The client row is read on every call, so a
 * disabled client is refused at once on every instance; assertion jtis are kept in PostgreSQL so
 * a replay is refused on every instance too.
 */
@Injectable()
export class ServiceClientAuthenticator {
  private assertionsSeen = 0;

  constructor(
    private readonly clients: ServiceClientRepository,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  /**
   * The caller, or undefined when the request carries no client credentials at all (a public
   * client, or one that uses a bearer token instead). Credentials that are present but wrong,
   * or more than one method at once, throw 401 `invalid_client`. `audience` is the endpoint's
   * URL; an assertion may name it, the issuer or the token endpoint.
   */
  async authenticate(
    request: ClientAuthRequest,
    audience: string,
  ): Promise<ServiceCaller | undefined> {
    const presented = this.presented(request);
    if (!presented) return undefined;
    const client =
      presented.method === 'assertion'
        ? await this.verifyAssertion(presented.assertion, presented.assertionType, audience)
        : await this.verifySecret(presented.clientId, presented.secret);
    const claimedId = bodyField(request.body, 'client_id');
    if (claimedId !== undefined && claimedId !== client.id) {
      throw invalidClient('client_id does not match the authenticated client');
    }
    await this.clients.noteUsed(client.id, new Date(this.clock.nowMs()));
    return { clientId: client.id, scopes: client.scopes, registered: true };
  }

  /** Whether the request carries any client credentials (a Basic header or body credentials). */
  presents(request: ClientAuthRequest): boolean {
    const authorization = headerValue(request.headers.authorization);
    return (
      /^Basic /i.test(authorization ?? '') ||
      bodyField(request.body, 'client_secret') !== undefined ||
      bodyField(request.body, 'client_assertion') !== undefined
    );
  }

  private presented(request: ClientAuthRequest): Presented | undefined {
    const authorization = headerValue(request.headers.authorization);
    const basic = /^Basic /i.test(authorization ?? '');
    const secret = bodyField(request.body, 'client_secret');
    const assertion = bodyField(request.body, 'client_assertion');
    const methods = [basic, secret !== undefined, assertion !== undefined].filter(Boolean).length;
    if (methods === 0) return undefined;
    // RFC 6749 §2.3: a client uses exactly one authentication method per request.
    if (methods > 1) throw invalidClient('Use exactly one client authentication method');
    if (basic) {
      const credentials = parseBasicCredentials(authorization ?? '');
      if (!credentials) throw invalidClient('Malformed Basic client credentials');
      return { method: 'basic', ...credentials };
    }
    if (secret !== undefined) {
      const clientId = bodyField(request.body, 'client_id');
      if (!clientId) throw invalidClient('client_secret needs client_id');
      return { method: 'post', clientId, secret };
    }
    return {
      method: 'assertion',
      assertion: assertion ?? '',
      assertionType: bodyField(request.body, 'client_assertion_type') ?? '',
    };
  }

  /**
   * A secret client's secret, compared as SHA-256 digests in constant time; an unknown id costs
   * the same comparison. Either secret method is accepted for a secret client (they carry the
   * same secret); a private_key_jwt client has none.
   */
  private async verifySecret(clientId: string, secret: string): Promise<ServiceClientRecord> {
    const client = await this.clients.findActive(clientId);
    const expected = Buffer.from(client?.secretHash ?? ABSENT_SECRET_HASH, 'hex');
    const matches = constantTimeEqual(expected, Buffer.from(hashToken(secret), 'hex'));
    if (!client || !client.secretHash || !matches) {
      throw invalidClient('Unknown client or wrong secret');
    }
    return client;
  }

  private async verifyAssertion(
    assertion: string,
    assertionType: string,
    audience: string,
  ): Promise<ServiceClientRecord> {
    if (assertionType !== JWT_BEARER_ASSERTION) {
      throw invalidClient(`client_assertion_type must be ${JWT_BEARER_ASSERTION}`);
    }
    let clientId: unknown;
    try {
      // Only to find the client's keys: nothing is trusted before the signature is verified.
      clientId = decodeJwt(assertion).sub;
    } catch {
      throw invalidClient('client_assertion is not a JWT');
    }
    const client =
      typeof clientId === 'string' ? await this.clients.findActive(clientId) : undefined;
    if (!client || client.authMethod !== 'private_key_jwt' || !client.jwks) {
      throw invalidClient('Unknown client, or not a private_key_jwt client');
    }
    const nowMs = this.clock.nowMs();
    const issuer = this.config.jwt.issuer;
    const tokenEndpoint = endpointUrl(this.config, '/oauth/token');
    let exp: number;
    let jti: unknown;
    try {
      const { payload } = await jwtVerify(assertion, createLocalJWKSet(client.jwks), {
        algorithms: CLIENT_ASSERTION_ALGORITHMS,
        issuer: client.id,
        subject: client.id,
        audience: [...new Set([issuer, audience, tokenEndpoint])],
        requiredClaims: ['exp', 'jti'],
        currentDate: new Date(nowMs),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
      exp = payload.exp ?? 0;
      jti = payload.jti;
    } catch {
      throw invalidClient('client_assertion is not valid for this client');
    }
    if (exp > nowMs / 1000 + MAX_ASSERTION_LIFETIME_SECONDS + CLOCK_TOLERANCE_SECONDS) {
      throw invalidClient(
        `client_assertion must expire within ${MAX_ASSERTION_LIFETIME_SECONDS} s`,
      );
    }
    if (typeof jti !== 'string' || jti === '') throw invalidClient('client_assertion needs a jti');
    const jtiHash = createHash('sha256').update(`${client.id}\u0000${jti}`).digest('hex');
    const keepUntil = new Date((exp + CLOCK_TOLERANCE_SECONDS) * 1000);
    if (!(await this.clients.rememberAssertion(jtiHash, keepUntil))) {
      throw invalidClient('client_assertion was already used');
    }
    if (++this.assertionsSeen % PRUNE_EVERY === 0) {
      await this.clients.deleteExpiredAssertions(new Date(nowMs));
    }
    return client;
  }
}
