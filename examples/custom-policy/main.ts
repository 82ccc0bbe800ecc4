/**
 * A deployment of Tessera with its own session policy and alert channel, built from the
 * modules' extension points without editing src/. Run it like the server itself:
 *
 *   npm run build && node dist/examples/custom-policy/main.js
 */
import { createApp } from '../../src/app.factory';
import { loadConfig } from '../../src/config/app-config';
import { ConfiguredSessionPolicy } from '../../src/sessions/session-policy';
import { AdminShortSessions } from './admin-short-sessions.policy';
import { StdoutAlertChannel } from './stdout-alert.channel';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const tessera = await createApp(config, {
    sessions: { policy: new AdminShortSessions(new ConfiguredSessionPolicy(config)) },
    alerting: { channels: [StdoutAlertChannel] },
  });
  const server = await tessera.app.listen(config.port, config.host);
  const address = server.address() as { port: number };
  const api = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${address.port}`;
  process.stdout.write(`${JSON.stringify({ msg: 'Tessera (custom policy) listening', api })}\n`);
  const stop = (): void => void tessera.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
