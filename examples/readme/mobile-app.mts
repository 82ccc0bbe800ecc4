// The README's "From a mobile app" snippet, compiled by `npm run typecheck`.
// scripts/check-readme-examples.js checks that the README block appears here verbatim.
declare function showSignIn(): void;

import { createTesseraClient, type TesseraStorage } from '@tessera/client';

/** The platform's keychain: expo-secure-store, react-native-keychain, Android Keystore … */
interface Keychain {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  remove(key: string): Promise<void>;
}

/** The client reads its state synchronously: keep it in memory, write it through. */
async function keychainStorage(
  keychain: Keychain,
  key = 'tessera.session',
): Promise<TesseraStorage> {
  const memory = new Map<string, string>();
  const saved = await keychain.get(key);
  if (saved !== null) memory.set(key, saved);
  return {
    getItem: (k) => memory.get(k) ?? null,
    setItem: (k, value) => {
      memory.set(k, value);
      void keychain.set(k, value);
    },
    removeItem: (k) => {
      memory.delete(k);
      void keychain.remove(k);
    },
  };
}

export async function startTessera(keychain: Keychain) {
  const tessera = createTesseraClient({
    baseUrl: 'https://auth.example.com',
    transport: 'header', // Authorization: Bearer; the refresh token goes in the body
    storage: await keychainStorage(keychain),
    channelName: false, // one app, no tabs to coordinate
  });
  tessera.on('signedOut', () => showSignIn()); // revoked elsewhere, expired, or token reuse
  return tessera;
}
