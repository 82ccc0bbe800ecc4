import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Served by the Tessera app at /account. No inline script or style anywhere (the page's CSP is
// same-origin only), so no module-preload polyfill either.
export default defineConfig({
  base: '/account/',
  resolve: {
    alias: {
      '@tessera/client': fileURLToPath(new URL('../client/src/index.ts', import.meta.url)),
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    target: 'es2022',
  },
});
