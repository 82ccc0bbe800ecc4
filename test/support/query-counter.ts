import { Client } from 'pg';
import { currentRequestId } from '../../src/common/request-context';

type QueryFn = (...args: unknown[]) => unknown;

const clientPrototype = Client.prototype as unknown as { query: QueryFn };

function queryText(first: unknown): string {
  if (typeof first === 'string') return first;
  if (typeof first === 'object' && first !== null && 'text' in first) return String(first.text);
  return String(first);
}

/**
 * Counts the SQL the app sends, per request. pg's Client.prototype.query is wrapped while
 * installed; every query goes through it on both engines (TypeORM's pool uses pg clients for
 * the PostgreSQL server and, through PGlite's node-postgres adapter, for the embedded one).
 * Each statement is attributed to the request id the app keeps in AsyncLocalStorage
 * (src/common/request-context.ts); background work has none and is not counted.
 */
export class QueryCounter {
  private readonly byRequest = new Map<string, string[]>();
  private original?: QueryFn;

  install(): void {
    const original = clientPrototype.query;
    const byRequest = this.byRequest;
    this.original = original;
    clientPrototype.query = function countedQuery(this: unknown, ...args: unknown[]): unknown {
      const requestId = currentRequestId();
      if (requestId) {
        const sql = queryText(args[0]).replace(/\s+/g, ' ').trim();
        byRequest.set(requestId, [...(byRequest.get(requestId) ?? []), sql]);
      }
      return original.apply(this, args);
    };
  }

  uninstall(): void {
    if (this.original) clientPrototype.query = this.original;
  }

  /** The statements of one request, whitespace collapsed, in the order they were sent. */
  queriesOf(requestId: string): string[] {
    return this.byRequest.get(requestId) ?? [];
  }
}
