import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchPlan, runChild } from './launch';

const NODE = { execPath: '/usr/bin/node', execArgv: ['--enable-source-maps'] };

describe('launchPlan: npm start with the memory settings, without a shell', () => {
  it('re-executes the server with MALLOC_ARENA_MAX=2 added and the rest of the environment kept', () => {
    const plan = launchPlan({ PORT: '3000', PATH: '/bin' }, '/app/dist/src/main.js', ['--x'], NODE);
    expect(plan).toEqual({
      kind: 'exec',
      command: '/usr/bin/node',
      args: ['--enable-source-maps', '/app/dist/src/main.js', '--x'],
      env: { PORT: '3000', PATH: '/bin', MALLOC_ARENA_MAX: '2' },
    });
  });

  it("keeps the operator's MALLOC_ARENA_MAX and then runs in this process (no second exec)", () => {
    expect(launchPlan({ MALLOC_ARENA_MAX: '4' }, '/app/dist/src/main.js', [], NODE)).toEqual({
      kind: 'in-process',
      target: '/app/dist/src/main.js',
    });
  });

  it('gives the child process that environment and passes its exit code back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-launch-'));
    const target = join(dir, 'server.js');
    const out = join(dir, 'env.json');
    writeFileSync(
      target,
      `require('node:fs').writeFileSync(process.argv[2], JSON.stringify({
         arenas: process.env.MALLOC_ARENA_MAX, port: process.env.PORT }));
       process.exit(3);`,
    );
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '4321' };
    delete env.MALLOC_ARENA_MAX;
    const plan = launchPlan(env, target, [out], { execPath: process.execPath, execArgv: [] });
    if (plan.kind !== 'exec') throw new Error('expected a re-exec');
    expect(await runChild(plan)).toBe(3);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual({ arenas: '2', port: '4321' });
  });
});
