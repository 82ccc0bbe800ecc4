// The README's "From your own service" snippets, compiled by `npm run typecheck`.
// scripts/check-readme-examples.js checks that each README block appears here verbatim.
import { createVerifier } from '@tessera/verifier';

export const verifier = createVerifier({
  issuer: 'https://auth.example.com', // the issuer: PUBLIC_URL (or JWT_ISSUER)
  audience: 'tessera-api', // JWT_AUDIENCE
  baseUrl: 'https://auth.example.com', // JWKS, feed and introspection live here
  algorithms: ['RS256'], // JWT_ALGORITHM
  revocations: {
    secret: process.env.TESSERA_REVOCATION_FEED_SECRET!,
    maxStaleness: 30_000, // ms the feed may be unheard (keep above REVOCATION_FEED_HEARTBEAT)
    onStale: 'fail-closed', // or 'introspect', with introspection: { credential: () => token }
  },
});
await verifier.ready(); // optional: wait for the first snapshot

import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TESSERA_VERIFIER, TesseraAuthGuard } from '@tessera/verifier/nest';

@Module({
  providers: [
    { provide: TESSERA_VERIFIER, useValue: verifier },
    { provide: APP_GUARD, useClass: TesseraAuthGuard }, // or @UseGuards(TesseraAuthGuard)
  ],
})
export class AppModule {}

import express from 'express';
import { tesseraAuth, type TesseraRequest } from '@tessera/verifier/express';

const app = express();
app.use('/api', tesseraAuth(verifier));
app.get('/api/me', (req, res) => {
  const claims = (req as TesseraRequest).tessera!;
  res.json({ user: claims.sub, session: claims.sid, roles: claims.roles });
});

// Not in the README: test/readme-own-service.e2e-spec.ts serves this app and calls it.
export { app };
