// The README's "From a web app" snippet, compiled by `npm run typecheck` (ESM: top-level await).
// scripts/check-readme-examples.js checks that the README block appears here verbatim.
declare const email: string;
declare const password: string;
declare function showSignIn(reason: string): void;
declare function askForCode(): Promise<string>;

import { createTesseraClient } from '@tessera/client';

const tessera = createTesseraClient({ baseUrl: 'https://auth.example.com', transport: 'cookie' });
tessera.on('signedOut', ({ reason }) => showSignIn(reason));

const result = await tessera.login({ email, password, rememberMe: true });
if (result.status === 'mfa_required') {
  await tessera.verifyMfa({ mfaToken: result.mfaToken, method: 'totp', code: await askForCode() });
}
const sessions = await tessera.sessions.list(); // [{ id, current, device, ip, lastActiveAt, … }]
await tessera.sessions.revokeOthers();
const mine = sessions.find((s) => s.current)!; // newest first: not always this browser's
await tessera.devices.trust(mine.device!.id);
const activity = await tessera.request.GET('/me/activity'); // any other route, typed

export { activity };
