// A resource server in its own process, for test/verifier-revocation.e2e-spec.ts: it loads the
// built @tessera/verifier (packages/verifier/dist), counts every request the verifier makes
// (through the injected fetch) and answers commands, one JSON object per line on stdin/stdout.
'use strict';
const { createInterface } = require('node:readline');
const { createVerifier } = require('../../packages/verifier/dist/index.js');

const env = process.env;
const requests = [];
const countingFetch = (input, init) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  requests.push(`${init?.method ?? 'GET'} ${url}`);
  return fetch(input, init);
};

const verifier = createVerifier({
  issuer: env.ISSUER,
  audience: env.AUDIENCE,
  baseUrl: env.FEED_BASE_URL,
  fetch: countingFetch,
  revocations: {
    secret: env.FEED_SECRET,
    maxStaleness: Number(env.MAX_STALENESS_MS),
    onStale: env.ON_STALE,
    reconnect: { minDelayMs: 100, maxDelayMs: 500 },
    // A service client holding tokens:introspect; its token comes from A's token endpoint
    // (the feed's instance, B, is the one that goes away).
    introspection:
      env.ON_STALE === 'introspect'
        ? {
            url: `${env.INTROSPECT_BASE_URL}/oauth/introspect`,
            client: {
              clientId: env.INTROSPECT_CLIENT_ID,
              clientSecret: env.INTROSPECT_CLIENT_SECRET,
              tokenUrl: `${env.INTROSPECT_BASE_URL}/oauth/token`,
            },
          }
        : undefined,
  },
});

async function verifyOnce(token) {
  try {
    const claims = await verifier.verify(token);
    return { ok: true, sid: claims.sid };
  } catch (error) {
    return { ok: false, code: error.code ?? String(error) };
  }
}

const commands = {
  ready: async () => {
    await verifier.ready();
    return {};
  },
  stats: async () => ({ requests: [...requests], fresh: verifier.feedFresh }),
  verify: async ({ token }) => verifyOnce(token),
  /** Verifies `n` times; reports the outcomes and the requests made meanwhile. */
  verifyMany: async ({ token, n }) => {
    const before = requests.length;
    const outcomes = {};
    const started = process.hrtime.bigint();
    for (let i = 0; i < n; i += 1) {
      const result = await verifyOnce(token);
      const key = result.ok ? 'ok' : result.code;
      outcomes[key] = (outcomes[key] ?? 0) + 1;
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    return { outcomes, requestsDuring: requests.slice(before), ms };
  },
  /** Verifies as fast as it can until the outcome is the code wanted (or the deadline). */
  waitFor: async ({ token, code, timeoutMs }) => {
    const started = process.hrtime.bigint();
    let last;
    let attempts = 0;
    while (Number(process.hrtime.bigint() - started) / 1e6 < timeoutMs) {
      last = await verifyOnce(token);
      attempts += 1;
      if ((last.ok ? 'ok' : last.code) === code) break;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    return { last, attempts, ms: Number(process.hrtime.bigint() - started) / 1e6 };
  },
};

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const { id, cmd, ...args } = JSON.parse(line);
  commands[cmd](args).then(
    (result) => process.stdout.write(`${JSON.stringify({ id, ...result })}\n`),
    (error) => process.stdout.write(`${JSON.stringify({ id, error: String(error) })}\n`),
  );
});
lines.on('close', () => {
  verifier.close();
  process.exit(0);
});
