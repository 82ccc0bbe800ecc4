// The README's session-policy snippet ("Extension points"), compiled by `npm run typecheck`.
// scripts/check-readme-examples.js checks that the README block appears here verbatim.
import { createApp, type TesseraApp } from '../../src/app.factory';
import type { AppConfig } from '../../src/config/app-config';
import { ConfiguredSessionPolicy } from '../../src/sessions/session-policy';
import { AdminShortSessions } from '../custom-policy/admin-short-sessions.policy';

export function withShortAdminSessions(config: AppConfig): Promise<TesseraApp> {
  return createApp(config, {
    sessions: { policy: new AdminShortSessions(new ConfiguredSessionPolicy(config)) },
  });
}
