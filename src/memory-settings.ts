import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old space grow past the live heap before it collects: 1 + this / 100.
 * V8's own factor reaches 4× on an idle-looking server, so a ~85 MB live heap (1M sessions)
 * ran to 350–380 MB of garbage before each full collection; 1.5× keeps RSS under 300 MB for a
 * full collection every second or so under load (~10 ms each; docs/benchmarks.md).
 */
export const HEAP_GROWING_PERCENT = 50;

/**
 * The process-wide memory settings, applied by main.ts before the application starts, so they
 * hold however the server is launched (npm start, the image, a bench or a test spawning
 * dist/src/main.js). glibc's settings can only come from the environment at exec: see
 * MALLOC_ENV, set by the Dockerfile, the spawned benches and `npm start`'s launcher (launch.ts);
 * `node dist/src/main.js` run by hand leaves glibc's default (the V8 setting above did most of
 * the RSS reduction).
 */
export function applyMemorySettings(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

/**
 * glibc malloc for the argon2 threads: each libuv thread that hashes would otherwise keep its
 * own arena holding the 19 MiB argon2 block after the hash; two arenas bound that.
 */
export const MALLOC_ENV = { MALLOC_ARENA_MAX: '2' } as const;
