import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The PostgreSQL server named by DATABASE_URL, when the suite runs against one. */
export function serverUrl(): string | undefined {
  const url = process.env.DATABASE_URL;
  return url && url.trim() !== '' ? url : undefined;
}

export interface ScratchDatabase {
  url: string;
  drop(): Promise<void>;
}

async function withAdmin<T>(
  serverUrlText: string,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const admin = new Client({ connectionString: serverUrlText });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}

/** A fresh, empty database on the server for one test app; dropped afterwards. */
export async function createScratchDatabase(base: string): Promise<ScratchDatabase> {
  const name = `tessera_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin(base, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      withAdmin(base, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
      ).then(() => undefined),
  };
}
