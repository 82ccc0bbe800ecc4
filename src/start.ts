import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchPlan, runChild } from './launch';

/**
 * `npm start` (node dist/src/start.js): dist/src/main.js with the process-wide memory settings
 * (launch.ts), in this process when the environment already has them.
 */
async function start(): Promise<void> {
  const plan = launchPlan(process.env, join(__dirname, 'main.js'), process.argv.slice(2));
  if (plan.kind === 'in-process') {
    await import(pathToFileURL(plan.target).href);
    return;
  }
  process.exitCode = await runChild(plan);
}

start().catch((error: unknown) => {
  process.stderr.write(`Tessera failed to start: ${String(error)}\n`);
  process.exit(1);
});
