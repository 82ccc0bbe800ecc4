// Unit specs beside the code (the server and each package), end-to-end suites in test/ on a real database.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2023',
    },
    module: { type: 'commonjs' },
  },
];
const common = {
  transform: { '^.+\\.(t|j)s$': swc },
  // Nest 12 ships ESM; these must be transformed to CommonJS for Jest on Node 20 (so must
  // otplib's @scure/base and nested @noble/hashes, which are ESM only).
  transformIgnorePatterns: [
    '/node_modules/(?!(@nestjs|@standard-schema|file-type|load-esm|jose|oauth4webapi|@scure|@noble|@otplib)/)',
  ],
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
};
module.exports = {
  projects: [
    { ...common, displayName: 'unit', rootDir: 'src', testRegex: '\\.spec\\.ts$' },
    // The @tessera/verifier package's own unit specs (npm test -w @tessera/verifier runs only these).
    {
      ...common,
      displayName: 'verifier',
      rootDir: 'packages/verifier/src',
      testRegex: '\\.spec\\.ts$',
    },
    {
      ...common,
      displayName: 'e2e',
      rootDir: '.',
      testRegex: 'test/.*\\.e2e-spec\\.ts$',
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
    // @tessera/client's own unit specs (packages/client).
    { ...common, displayName: 'client', rootDir: 'packages/client', testRegex: '\\.spec\\.ts$' },
    // The account page's own unit specs (packages/account; its browser behaviour is in test/).
    {
      ...common,
      displayName: 'account',
      rootDir: 'packages/account/src',
      testRegex: '\\.spec\\.ts$',
    },
  ],
  maxWorkers: 2,
  // A worker whose heap holds more than this after a file is replaced by a fresh one. Every test
  // file leaves ~65 MB behind (each app's prom-client default metrics register a GC observer and
  // an event-loop monitor on the process, which keep that file's modules alive); a worker
  // running half of the ~110 files otherwise nears V8's 4 GiB heap limit and spends the end of
  // the run collecting garbage.
  workerIdleMemoryLimit: '1GB',
  testTimeout: 30000,
};
