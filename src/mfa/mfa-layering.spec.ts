import { Module } from '@nestjs/common';
import { MfaModule } from './mfa.module';

/**
 * The mfa module's public face. (Its import arrows and the SQL-in-repositories rule are enforced
 * for every module by eslint.boundaries.mjs and scripts/check-sql-boundaries.js.)
 */
describe('mfa module', () => {
  @Module({})
  class FakeUsersModule {}
  @Module({})
  class FakeSessionDevicesModule {}

  it('exports services only, never its repositories', () => {
    const sut = MfaModule.forRoot({
      users: FakeUsersModule,
      sessionDevices: FakeSessionDevicesModule,
    });
    const exported = (sut.exports ?? []).map((provider) => (provider as { name: string }).name);
    expect(exported.length).toBeGreaterThan(0);
    exported.forEach((name) => expect(name).toMatch(/Service$/));
  });
});
