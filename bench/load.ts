/**
 * Closed-loop HTTP load with autocannon (its parser is far cheaper than node:http's client, so
 * one core of load generation can saturate one core of server). Latencies are taken from its
 * per-response event at hrtime resolution (its own histogram rounds to whole milliseconds).
 */
import autocannon from 'autocannon';
import { stats, type Stats } from './support';

export const CONNECTIONS = 32;

export interface LoadRequest {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Rewrites the request per send, with a per-connection context. */
  setupRequest?: (
    request: autocannon.Request,
    context: Record<string, unknown>,
  ) => autocannon.Request;
  onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
}

export interface LoadOptions {
  baseUrl: string;
  requests: LoadRequest[];
  /** Seconds of load, unless `amount` is given. */
  seconds?: number;
  /** Exactly this many responses, then stop: no request is left in flight (refresh chains). */
  amount?: number;
  connections?: number;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  latencies: number[];
  /** Responses by status; 0 counts connection errors and timeouts. */
  statuses: Map<number, number>;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const started = performance.now();
  let lastResponse = started;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.baseUrl,
        connections: options.connections ?? CONNECTIONS,
        ...(options.amount ? { amount: options.amount } : { duration: options.seconds ?? 2 }),
        timeout: 10,
        // The typings declare context as `object`; ours is a plain record.
        requests: options.requests as autocannon.Request[],
      },
      (error: unknown, done: autocannon.Result) =>
        error
          ? reject(error instanceof Error ? error : new Error('autocannon failed'))
          : resolve(done),
    );
    instance.on('response', (_client, status, _bytes, ms) => {
      lastResponse = performance.now();
      latencies.push(ms);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    });
  });
  const failed = result.errors + result.timeouts;
  if (failed > 0) statuses.set(0, failed);
  // autocannon notices that a fixed amount is done only at its next one-second sample tick,
  // so its duration is rounded up to whole seconds: an amount's rate is timed to its last answer.
  const seconds = options.amount ? (lastResponse - started) / 1000 : result.duration;
  return { requests: latencies.length, seconds, latencies, statuses };
}

export function mergeLoads(parts: readonly LoadResult[]): LoadResult {
  const statuses = new Map<number, number>();
  for (const part of parts)
    for (const [status, n] of part.statuses) statuses.set(status, (statuses.get(status) ?? 0) + n);
  return {
    requests: parts.reduce((sum, part) => sum + part.requests, 0),
    seconds: parts.reduce((sum, part) => sum + part.seconds, 0),
    latencies: parts.flatMap((part) => part.latencies),
    statuses,
  };
}

export function rate(result: LoadResult): number {
  return result.seconds > 0 ? result.requests / result.seconds : NaN;
}

export function latencyStats(result: LoadResult): Stats {
  return stats(result.latencies);
}

/** Responses that were not `ok` (connection errors and timeouts included). */
export function failures(result: LoadResult, ok: (status: number) => boolean): number {
  let n = 0;
  for (const [status, count] of result.statuses) if (!ok(status)) n += count;
  return n;
}

export function describeStatuses(result: LoadResult): string {
  return [...result.statuses]
    .sort(([a], [b]) => a - b)
    .map(([status, n]) => `${status === 0 ? 'err' : status}×${n}`)
    .join(' ');
}
