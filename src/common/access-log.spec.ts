import express from 'express';
import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { accessLogMiddleware } from './access-log';
import { createPinoLogger } from './json-logger';
import { requestContextMiddleware } from './request-context';

type Line = Record<string, unknown>;

function appWith(skipPaths: readonly string[], level: 'info' | 'warn' = 'info') {
  const lines: Line[] = [];
  const logger = createPinoLogger(level, (line) => lines.push(JSON.parse(line) as Line));
  const app = express();
  app.use(requestContextMiddleware);
  app.use(accessLogMiddleware(logger, skipPaths));
  app.get('/health/live', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/users/:id', (_req, res) => {
    res.status(204).end();
  });
  app.get('/boom', (_req, res) => {
    res.status(500).json({ code: 'internal' });
  });
  // Never answers: the client gives up first.
  app.get('/hang', () => undefined);
  return { app, http: request(app), lines };
}

describe('accessLogMiddleware', () => {
  it('writes one line per request: route pattern, path without query, status, duration, request id', async () => {
    const { http, lines } = appWith([]);
    const res = await http.get('/users/42?token=secret-in-query').expect(204);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      msg: 'request completed',
      context: 'HTTP',
      method: 'GET',
      route: '/users/:id',
      path: '/users/42',
      status: 204,
      requestId: res.headers['x-request-id'],
    });
    expect(typeof lines[0].durationMs).toBe('number');
    expect(JSON.stringify(lines)).not.toContain('secret-in-query');
  });

  it('labels unmatched routes and logs 5xx at error', async () => {
    const { http, lines } = appWith([]);
    await http.get('/nowhere').expect(404);
    await http.get('/boom').expect(500);
    expect(lines.map((line) => [line.route, line.status, line.level])).toEqual([
      ['unmatched', 404, 'info'],
      ['/boom', 500, 'error'],
    ]);
  });

  it('skips the configured paths only', async () => {
    const { http, lines } = appWith(['/health/live']);
    await http.get('/health/live').expect(200);
    await http.get('/health/live?x=1').expect(200);
    await http.get('/users/1').expect(204);
    expect(lines.map((line) => line.path)).toEqual(['/users/1']);

    const all = appWith([]);
    await all.http.get('/health/live').expect(200);
    expect(all.lines.map((line) => line.path)).toEqual(['/health/live']);
  });

  it('follows the log level: at warn, only failures are written', async () => {
    const { http, lines } = appWith([], 'warn');
    await http.get('/users/1').expect(204);
    await http.get('/boom').expect(500);
    expect(lines.map((line) => line.status)).toEqual([500]);
  });

  it('writes an info line marked aborted when the client goes away first (how event streams end)', async () => {
    const { app, lines } = appWith([]);
    const server = app.listen(0, '127.0.0.1');
    await new Promise((ready) => server.once('listening', ready));
    const { port } = server.address() as AddressInfo;
    const client = get(`http://127.0.0.1:${port}/hang`);
    client.on('error', () => undefined);
    await new Promise((sent) => setTimeout(sent, 50));
    client.destroy();
    while (lines.length === 0) await new Promise((tick) => setTimeout(tick, 5));
    server.close();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'info',
      msg: 'request aborted',
      path: '/hang',
      aborted: true,
    });
  });
});
