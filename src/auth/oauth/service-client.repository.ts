import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { queryReturning } from '../../database/query-returning';
import type { Tx } from '../../events/transaction-runner.service';
import { type ClientJwks, SERVICE_CLIENT_ID } from './service-client.entity';
import type { ServiceClientAuthMethod, ServiceScope } from './service-credentials';

/** A service_clients row as the code uses it. */
export interface ServiceClientRecord {
  id: string;
  name: string;
  scopes: ServiceScope[];
  authMethod: ServiceClientAuthMethod;
  secretHash: string | null;
  jwks: ClientJwks | null;
  createdAt: Date;
  disabledAt: Date | null;
  lastUsedAt: Date | null;
}

interface Row {
  id: string;
  name: string;
  scopes: ServiceScope[];
  auth_method: ServiceClientAuthMethod;
  secret_hash: string | null;
  jwks: ClientJwks | null;
  created_at: Date | string;
  disabled_at: Date | string | null;
  last_used_at: Date | string | null;
}

const COLUMNS = `id, name, scopes, auth_method, secret_hash, jwks, created_at, disabled_at, last_used_at`;

const toDate = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));

function toRecord(row: Row): ServiceClientRecord {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes,
    authMethod: row.auth_method,
    secretHash: row.secret_hash,
    jwks: row.jwks,
    createdAt: toDate(row.created_at),
    disabledAt: row.disabled_at === null ? null : toDate(row.disabled_at),
    lastUsedAt: row.last_used_at === null ? null : toDate(row.last_used_at),
  };
}

/** service_clients and client_assertion_jtis: all their SQL. */
@Injectable()
export class ServiceClientRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(
    tx: Tx,
    client: Omit<ServiceClientRecord, 'disabledAt' | 'lastUsedAt'>,
  ): Promise<void> {
    await tx.manager.query(
      `INSERT INTO service_clients (id, name, scopes, auth_method, secret_hash, jwks, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        client.id,
        client.name,
        client.scopes,
        client.authMethod,
        client.secretHash,
        client.jwks === null ? null : JSON.stringify(client.jwks),
        client.createdAt,
      ],
    );
  }

  /** An enabled client, read on every authentication so a disabled one is refused at once. */
  async findActive(id: string): Promise<ServiceClientRecord | undefined> {
    if (!SERVICE_CLIENT_ID.test(id)) return undefined;
    const rows = await this.dataSource.query<Row[]>(
      `SELECT ${COLUMNS} FROM service_clients WHERE id = $1 AND disabled_at IS NULL`,
      [id],
    );
    return rows[0] ? toRecord(rows[0]) : undefined;
  }

  /** Enabled clients, newest first. */
  async listActive(): Promise<ServiceClientRecord[]> {
    const rows = await this.dataSource.query<Row[]>(
      `SELECT ${COLUMNS} FROM service_clients WHERE disabled_at IS NULL
       ORDER BY created_at DESC, id`,
    );
    return rows.map(toRecord);
  }

  /** True when an enabled client was disabled now. */
  async disable(tx: Tx, id: string, at: Date): Promise<boolean> {
    if (!SERVICE_CLIENT_ID.test(id)) return false;
    const rows = await queryReturning<{ id: string }>(
      tx.manager,
      `UPDATE service_clients SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL
       RETURNING id`,
      [id, at],
    );
    return rows.length === 1;
  }

  /** Coarse (at most once a minute per client): an operator's hint, not an audit trail. */
  async noteUsed(id: string, at: Date): Promise<void> {
    await this.dataSource.query(
      `UPDATE service_clients SET last_used_at = $2
       WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2::timestamptz - interval '1 minute')`,
      [id, at],
    );
  }

  /** True the first time this assertion is seen (the primary key decides races). */
  async rememberAssertion(jtiHash: string, expiresAt: Date): Promise<boolean> {
    const rows = await this.dataSource.query<Array<{ jti_hash: string }>>(
      `INSERT INTO client_assertion_jtis (jti_hash, expires_at) VALUES ($1, $2)
       ON CONFLICT (jti_hash) DO NOTHING RETURNING jti_hash`,
      [jtiHash, expiresAt],
    );
    return rows.length === 1;
  }

  async deleteExpiredAssertions(before: Date): Promise<void> {
    await this.dataSource.query(`DELETE FROM client_assertion_jtis WHERE expires_at < $1`, [
      before,
    ]);
  }
}
