import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { MALLOC_ENV } from './memory-settings';

/** What the launcher does: run the server in this process, or exec it with a new environment. */
export type LaunchPlan =
  | { kind: 'in-process'; target: string }
  | { kind: 'exec'; command: string; args: string[]; env: NodeJS.ProcessEnv };

/** Signals passed on to the server: a supervisor stops the launcher, the server must drain. */
const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

/**
 * glibc reads MALLOC_ARENA_MAX only when a process starts, so a server started without it
 * (`npm start`, a process manager) is started again as a child with MALLOC_ENV added: no
 * shell is needed for `VAR=value node …` (npm runs scripts with cmd.exe on Windows). A value
 * the operator set is kept as it is, and then nothing is re-executed.
 */
export function launchPlan(
  env: NodeJS.ProcessEnv,
  target: string,
  args: readonly string[] = [],
  node: { execPath: string; execArgv: readonly string[] } = process,
): LaunchPlan {
  const missing = Object.entries(MALLOC_ENV).filter(([name]) => env[name] === undefined);
  if (missing.length === 0) return { kind: 'in-process', target };
  return {
    kind: 'exec',
    command: node.execPath,
    args: [...node.execArgv, target, ...args],
    env: { ...env, ...Object.fromEntries(missing) },
  };
}

/**
 * Runs the plan's child with this process's stdio and forwards stop signals to it; resolves
 * with the exit code to leave with (128 + signal number when the child was killed).
 */
export function runChild(plan: Extract<LaunchPlan, { kind: 'exec' }>): Promise<number> {
  const child: ChildProcess = spawn(plan.command, plan.args, { env: plan.env, stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      for (const name of FORWARDED_SIGNALS) process.off(name, forward);
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}
