import { generateKeyPairSync } from 'node:crypto';

/**
 * Runs once before the e2e workers: one 3072-bit signing key for every test app (generating
 * one per app would cost seconds), passed down through the environment.
 */
export default function globalSetup(): void {
  if (!process.env.TESSERA_TEST_SIGNING_KEY) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 3072 });
    process.env.TESSERA_TEST_SIGNING_KEY = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  }
}
