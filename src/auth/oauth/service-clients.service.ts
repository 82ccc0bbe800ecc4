import { createPublicKey, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppException } from '../../common/app.exception';
import { Clock } from '../../common/clock';
import { TransactionRunner } from '../../events/transaction-runner.service';
import { hashToken, newOpaqueToken } from '../../common/opaque-token';
import type { ClientJwks } from './service-client.entity';
import { type ServiceClientRecord, ServiceClientRepository } from './service-client.repository';
import {
  SERVICE_CLIENT_AUTH_METHODS,
  SERVICE_SCOPES,
  type ServiceClientAuthMethod,
  type ServiceScope,
} from './service-credentials';

export interface NewServiceClient {
  name: string;
  scopes: readonly string[];
  tokenEndpointAuthMethod?: string;
  jwks?: unknown;
}

/** A service client as admins see it: never its secret or its secret's hash. */
export interface ServiceClientView {
  clientId: string;
  name: string;
  scopes: ServiceScope[];
  tokenEndpointAuthMethod: ServiceClientAuthMethod;
  createdAt: string;
  lastUsedAt: string | null;
}

/** The answer to a registration: the secret is shown here once and never again. */
export interface CreatedServiceClient extends ServiceClientView {
  clientSecret?: string;
}

const MAX_JWKS_KEYS = 10;

function invalid(field: string, message: string): AppException {
  return new AppException('validation_failed', `${field} ${message}`, {
    errors: [{ field, messages: [message] }],
  });
}

function toView(client: ServiceClientRecord): ServiceClientView {
  return {
    clientId: client.id,
    name: client.name,
    scopes: client.scopes,
    tokenEndpointAuthMethod: client.authMethod,
    createdAt: client.createdAt.toISOString(),
    lastUsedAt: client.lastUsedAt?.toISOString() ?? null,
  };
}

/**
 * A JWK Set of public asymmetric keys that node:crypto can load: a private or symmetric key in a
 * registration is refused rather than stored.
 */
export function parseClientJwks(value: unknown): ClientJwks {
  const keys =
    typeof value === 'object' && value !== null ? (value as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > MAX_JWKS_KEYS) {
    throw invalid('jwks', `must be a JWK Set with 1 to ${MAX_JWKS_KEYS} keys`);
  }
  for (const key of keys as unknown[]) {
    const jwk = (typeof key === 'object' && key !== null ? key : {}) as Record<string, unknown>;
    if (!['RSA', 'EC', 'OKP'].includes(String(jwk.kty)) || 'd' in jwk || 'k' in jwk) {
      throw invalid('jwks', 'must hold public RSA, EC or OKP keys only');
    }
    try {
      createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' });
    } catch {
      throw invalid('jwks', 'holds a key that is not a valid public JWK');
    }
  }
  return { keys: keys as Array<Record<string, unknown>> };
}

/** Registers, lists and disables service clients (admin routes and the CLI). */
@Injectable()
export class ServiceClientsService {
  constructor(
    private readonly clients: ServiceClientRepository,
    private readonly transactions: TransactionRunner,
    private readonly clock: Clock,
  ) {}

  /** Registers a client (audited as `service_client.created` with `actorId`). */
  async create(input: NewServiceClient, actorId: string): Promise<CreatedServiceClient> {
    const name = input.name.trim();
    if (name.length === 0 || name.length > 200) throw invalid('name', 'must be 1-200 characters');
    const scopes = [...new Set(input.scopes)];
    if (scopes.length === 0 || !scopes.every((s) => SERVICE_SCOPES.includes(s as ServiceScope))) {
      throw invalid('scopes', `must be one or more of ${SERVICE_SCOPES.join(', ')}`);
    }
    const method = (input.tokenEndpointAuthMethod ??
      'client_secret_basic') as ServiceClientAuthMethod;
    if (!SERVICE_CLIENT_AUTH_METHODS.includes(method)) {
      throw invalid(
        'tokenEndpointAuthMethod',
        `must be one of ${SERVICE_CLIENT_AUTH_METHODS.join(', ')}`,
      );
    }
    const keyBased = method === 'private_key_jwt';
    if (keyBased !== (input.jwks !== undefined)) {
      throw invalid(
        'jwks',
        keyBased ? 'is required for private_key_jwt' : 'is only for private_key_jwt',
      );
    }
    const secret = keyBased ? undefined : newOpaqueToken();
    const record: ServiceClientRecord = {
      id: `svc_${randomBytes(16).toString('base64url')}`,
      name,
      scopes: scopes as ServiceScope[],
      authMethod: method,
      secretHash: secret === undefined ? null : hashToken(secret),
      jwks: keyBased ? parseClientJwks(input.jwks) : null,
      createdAt: new Date(this.clock.nowMs()),
      disabledAt: null,
      lastUsedAt: null,
    };
    await this.transactions.run(async (tx) => {
      await this.clients.insert(tx, record);
      await tx.record(
        'service_client.created',
        { userId: actorId },
        { clientId: record.id, name, scopes: record.scopes, authMethod: method, actorId },
      );
    });
    return { ...toView(record), ...(secret === undefined ? {} : { clientSecret: secret }) };
  }

  async list(): Promise<ServiceClientView[]> {
    return (await this.clients.listActive()).map(toView);
  }

  /** Disables at once: every authentication reads the row, so no instance accepts it after. */
  async delete(clientId: string, actorId: string): Promise<void> {
    await this.transactions.run(async (tx) => {
      if (!(await this.clients.disable(tx, clientId, tx.now()))) {
        throw new AppException('not_found', 'No such service client');
      }
      await tx.record('service_client.deleted', { userId: actorId }, { clientId, actorId });
    });
  }
}
