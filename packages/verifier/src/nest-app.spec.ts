import { Controller, Get, type INestApplication, Module, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import request from 'supertest';
import { VerifierError } from './errors';
import { TESSERA_VERIFIER, TesseraAuthGuard } from './nest';
import type { TesseraClaims, Verifier } from './verifier';

const verifier: Verifier = {
  verify: (token) =>
    token === 'good'
      ? Promise.resolve({ sub: 'u1', sid: 's1' } as TesseraClaims)
      : Promise.reject(new VerifierError('session_revoked')),
  ready: () => Promise.resolve(),
  close: () => undefined,
  feedFresh: true,
};

@Controller()
class ProtectedController {
  @Get('protected')
  @UseGuards(TesseraAuthGuard)
  read(): { ok: true } {
    return { ok: true };
  }
}

@Module({
  controllers: [ProtectedController],
  providers: [{ provide: TESSERA_VERIFIER, useValue: verifier }],
})
class ProtectedModule {}

/** The guard inside a real Nest application (Express platform), as a resource server uses it. */
describe('TesseraAuthGuard in a Nest application', () => {
  let app: INestApplication;

  beforeAll(async () => {
    app = await NestFactory.create(ProtectedModule, { logger: false });
    await app.init();
  });
  afterAll(() => app.close());

  it('answers a refusal as application/problem+json with the stable code and RFC 6750 header', async () => {
    const res = await request(app.getHttpServer())
      .get('/protected')
      .set('Authorization', 'Bearer revoked');
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(res.text)).toMatchObject({ status: 401, code: 'session_revoked' });
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('lets a valid token through as plain JSON', async () => {
    const res = await request(app.getHttpServer())
      .get('/protected')
      .set('Authorization', 'Bearer good');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({ ok: true });
  });
});
