/**
 * The authenticated hot path: what the global guard costs per request, with the verified-token
 * cache warm (the same token again) and cold (a token never seen), next to the bare RS256
 * signature check and to whole HTTP requests. Prints figures and ratios; asserts nothing.
 *
 *   node dist/bench/hot-path.bench.js
 *
 * The guard needs no database, so the app runs on the embedded in-memory database.
 */
import type { ExecutionContext } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import type { Request } from 'express';
import { verify as cryptoVerify } from 'node:crypto';
import { AccessTokenGuard } from '../src/auth/guards/access-token.guard';
import { AccessTokenService } from '../src/auth/tokens/access-token.service';
import { SigningKeyStore } from '../src/auth/tokens/signing-key-store.service';
import { SessionsController } from '../src/sessions/sessions.controller';
import {
  emitSummary,
  fmt,
  HttpClient,
  machineNote,
  nowMs,
  pgliteTarget,
  registerAndLogin,
  type RunningApp,
  startApp,
} from './support';

const GUARD_WARM_CALLS = 200_000;
const GUARD_COLD_TOKENS = 600;
const RAW_VERIFY_CALLS = 5_000;
/** HTTP scenarios run interleaved, in rounds, so a change in the machine's load hits them all. */
const HTTP_ROUNDS = 3;
const HTTP_SECONDS_PER_ROUND = 1;
const HTTP_COLD_TOKENS_PER_ROUND = 300;
const HTTP_CONCURRENCY = 8;

/**
 * The AccessTokenGuard instance Nest registered as APP_GUARD (an APP_GUARD provider has no
 * class token to `app.get` by): the very object every request goes through.
 */
function registeredGuard(running: RunningApp): AccessTokenGuard {
  for (const module of running.app.get(ModulesContainer).values()) {
    for (const wrapper of module.providers.values()) {
      if (wrapper.instance instanceof AccessTokenGuard) return wrapper.instance;
    }
  }
  throw new Error('AccessTokenGuard is not registered');
}

/** What the guard reads of a request: the method and the Authorization header. */
function fakeRequest(token: string): Request {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  const request = {
    method: 'GET',
    headers,
    cookies: {},
    header: (name: string) => headers[name.toLowerCase()],
  };
  return request as unknown as Request;
}

/** An ExecutionContext for GET /sessions (an authenticated route), as Nest builds one. */
function contextFor(token: string): ExecutionContext {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- only its identity (metadata) is read
  const handler = SessionsController.prototype.list;
  return new ExecutionContextHost(
    [fakeRequest(token), {}, () => undefined],
    SessionsController,
    handler,
  );
}

async function perCall(calls: number, work: (i: number) => unknown): Promise<number> {
  const start = nowMs();
  for (let i = 0; i < calls; i += 1) await work(i);
  return (nowMs() - start) / calls;
}

interface Load {
  requests: number;
  seconds: number;
  latencies: number[];
  statuses: Map<number, number>;
}

/**
 * Closed-loop load: HTTP_CONCURRENCY requests in flight until `seconds` pass or `limit`
 * requests were sent. Client and server share this process (and the machine's 2 cores), so
 * the absolute rate understates the server; the ratios between routes are the figure.
 */
async function load(
  seconds: number,
  request: (i: number) => Promise<{ status: number }>,
  limit = Number.POSITIVE_INFINITY,
): Promise<Load> {
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  const end = nowMs() + seconds * 1000;
  let next = 0;
  const start = nowMs();
  const worker = async (): Promise<void> => {
    while (nowMs() < end && next < limit) {
      const i = next;
      next += 1;
      const sent = nowMs();
      const { status } = await request(i);
      latencies.push(nowMs() - sent);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: HTTP_CONCURRENCY }, () => worker()));
  return { requests: latencies.length, seconds: (nowMs() - start) / 1000, latencies, statuses };
}

function merge(parts: readonly Load[]): Load {
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

function perSecond(result: Load): number {
  return result.requests / result.seconds;
}

function describeLoad(label: string, result: Load): string {
  const sorted = [...result.latencies].sort((a, b) => a - b);
  const at = (p: number): number =>
    sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
  const statuses = [...result.statuses].map(([status, n]) => `${status}×${n}`).join(' ');
  return (
    `  ${label.padEnd(52)} ${perSecond(result).toFixed(0).padStart(6)} req/s  p50 ${fmt(at(0.5))}  ` +
    `p99 ${fmt(at(0.99))}  (${result.requests} requests: ${statuses})`
  );
}

export async function main(): Promise<Record<string, string | number | null>> {
  console.log(`hot-path benchmark\n${machineNote()}`);
  const running = await startApp(pgliteTarget());
  const http = new HttpClient(running.baseUrl, HTTP_CONCURRENCY);
  const figures: Record<string, string | number | null> = {};
  try {
    const me = await registerAndLogin(http, `hot.${process.pid}@example.com`);
    const tokens = running.app.get(AccessTokenService);
    const guard = registeredGuard(running);
    const issue = (): string =>
      tokens.issue({
        userId: me.user.id,
        sessionId: me.session.id,
        roles: ['user'],
        notAfter: [],
        authTime: new Date(),
        amr: ['pwd'],
      }).token;

    const signStart = nowMs();
    const coldGuardTokens = Array.from({ length: GUARD_COLD_TOKENS }, issue);
    const coldHttpTokens = Array.from({ length: HTTP_ROUNDS * HTTP_COLD_TOKENS_PER_ROUND }, issue);
    const signMs = (nowMs() - signStart) / (coldGuardTokens.length + coldHttpTokens.length);
    console.log(
      `(issued ${coldGuardTokens.length + coldHttpTokens.length} distinct tokens: RS256 sign ${fmt(signMs)} each)`,
    );

    // 1. The guard alone.
    const warmContext = contextFor(me.accessToken);
    await guard.canActivate(warmContext); // now cached
    const warm = await perCall(GUARD_WARM_CALLS, () => guard.canActivate(warmContext));
    const coldContexts = coldGuardTokens.map(contextFor);
    const cold = await perCall(GUARD_COLD_TOKENS, (i) => guard.canActivate(coldContexts[i]));

    // 2. The bare signature check, as the cache saves it: node:crypto with the KeyObject.
    const key = running.app.get(SigningKeyStore).active.publicKey;
    const [header, payload, signature] = me.accessToken.split('.');
    const signed = Buffer.from(`${header}.${payload}`);
    const signatureBytes = Buffer.from(signature, 'base64url');
    const raw = await perCall(RAW_VERIFY_CALLS, () =>
      cryptoVerify('sha256', signed, key, signatureBytes),
    );

    console.log('guard.canActivate (the registered APP_GUARD instance, fake ExecutionContext):');
    console.log(
      `  cached token (same token again)      ${fmt(warm).padStart(9)} per call  (${GUARD_WARM_CALLS} calls)`,
    );
    console.log(
      `  uncached token (each seen first time) ${fmt(cold).padStart(9)} per call  (${GUARD_COLD_TOKENS} calls)`,
    );
    console.log(
      `  raw RS256 verify (node:crypto)        ${fmt(raw).padStart(9)} per call  (${RAW_VERIFY_CALLS} calls)`,
    );
    console.log(`  ratio uncached / cached: ${(cold / warm).toFixed(1)}×`);
    figures['guard.cached'] = fmt(warm);
    figures['guard.uncached'] = fmt(cold);
    figures['rs256.verify'] = fmt(raw);
    figures['guard.ratio.uncached/cached'] = `${(cold / warm).toFixed(1)}×`;

    // 3. Whole requests. DELETE /sessions/not-a-uuid passes the guard (valid token) and is then
    // refused by the route's UUID pipe with 400 before the handler: an authenticated request
    // without database work (every authenticated handler otherwise reads the database).
    console.log(
      `HTTP, ${HTTP_CONCURRENCY} in flight, client in the same process, ${HTTP_ROUNDS} interleaved rounds:`,
    );
    const rounds: Record<'live' | 'cached' | 'cold' | 'listed', Load[]> = {
      live: [],
      cached: [],
      cold: [],
      listed: [],
    };
    for (let round = 0; round < HTTP_ROUNDS; round += 1) {
      rounds.live.push(await load(HTTP_SECONDS_PER_ROUND, () => http.send('GET', '/health/live')));
      rounds.cached.push(
        await load(HTTP_SECONDS_PER_ROUND, () =>
          http.send('DELETE', '/sessions/not-a-uuid', { token: me.accessToken }),
        ),
      );
      const offset = round * HTTP_COLD_TOKENS_PER_ROUND;
      rounds.cold.push(
        await load(
          HTTP_SECONDS_PER_ROUND * 10,
          (i) => http.send('DELETE', '/sessions/not-a-uuid', { token: coldHttpTokens[offset + i] }),
          HTTP_COLD_TOKENS_PER_ROUND,
        ),
      );
      rounds.listed.push(
        await load(HTTP_SECONDS_PER_ROUND, () =>
          http.send('GET', '/sessions', { token: me.accessToken }),
        ),
      );
    }
    const live = merge(rounds.live);
    const cachedHttp = merge(rounds.cached);
    const coldHttp = merge(rounds.cold);
    const listed = merge(rounds.listed);
    console.log(describeLoad('GET /health/live (public, no token)', live));
    console.log(describeLoad('guard + 400, cached token (no DB)', cachedHttp));
    console.log(describeLoad('guard + 400, uncached token each time (no DB)', coldHttp));
    console.log(describeLoad('GET /sessions, cached token (handler reads the DB)', listed));
    const ratio = (a: Load, b: Load): string => `${(perSecond(a) / perSecond(b)).toFixed(2)}×`;
    console.log(
      `  req/s cached / uncached: ${ratio(cachedHttp, coldHttp)}; public / authenticated (cached): ${ratio(live, cachedHttp)}`,
    );
    figures['http.live.rps'] = Math.round(perSecond(live));
    figures['http.authCached.rps'] = Math.round(perSecond(cachedHttp));
    figures['http.authUncached.rps'] = Math.round(perSecond(coldHttp));
    figures['http.sessions.rps'] = Math.round(perSecond(listed));
    figures['http.ratio.cached/uncached'] = ratio(cachedHttp, coldHttp);
  } finally {
    http.close();
    await running.close();
  }
  return figures;
}

if (require.main === module) {
  main().then(
    (figures) => {
      emitSummary('hot-path', figures);
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
