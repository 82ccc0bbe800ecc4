import type { Client } from 'pg';
import type { Tx } from './transaction-runner.service';

/**
 * The SQL of the PostgreSQL cluster bus: NOTIFY inside a transaction (delivered on commit) or on
 * the bus's own connection, and LISTEN on that connection. Plain functions: the bus is built by
 * a factory before Nest's injector is involved.
 */
export const pgNotifyRepository = {
  async notifyOnCommit(tx: Tx, channel: string, payload: string): Promise<void> {
    await tx.manager.query('SELECT pg_notify($1, $2)', [channel, payload]);
  },

  async notify(client: Client, channel: string, payload: string): Promise<void> {
    await client.query('SELECT pg_notify($1, $2)', [channel, payload]);
  },

  /** `channel` is one of the bus's fixed names, never user input. */
  async listen(client: Client, channel: string): Promise<void> {
    await client.query(`LISTEN ${channel}`);
  },
};
