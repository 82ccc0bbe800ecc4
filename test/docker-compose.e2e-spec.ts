/**
 * Keeps docker-compose.yml honest on machines without a Docker engine: the file must validate
 * against the official Compose Specification JSON schema (shipped by the `dclint` package), and
 * the topology must hold together (health-gated start order, shared database, Redis and signing
 * key, only contract configuration, every referenced file present). The two small programs the
 * topology runs inline, the readiness probe and the key generator, are executed here too.
 */
import { execFile } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix, relative, resolve } from 'node:path';
import { runInNewContext } from 'node:vm';
import Ajv, { type AnySchemaObject, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { load } from 'js-yaml';

const ROOT = resolve(__dirname, '..');
const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
const APP_INSTANCES = ['tessera-1', 'tessera-2'];

/** The operator contract's Configuration list (shared/api-contract.md), plus NODE_ENV. */
const CONTRACT_ENV = new Set([
  'PORT',
  'HOST',
  'DATABASE_URL',
  'DATA_DIR',
  'REDIS_URL',
  'JWT_ISSUER',
  'JWT_AUDIENCE',
  'JWT_PRIVATE_KEY',
  'JWT_PRIVATE_KEY_FILE',
  'ACCESS_TOKEN_TTL',
  'SESSION_IDLE_TIMEOUT',
  'SESSION_REMEMBER_ME_IDLE_TIMEOUT',
  'SESSION_ABSOLUTE_TIMEOUT',
  'MAX_SESSIONS_PER_USER',
  'REFRESH_REUSE_GRACE',
  'LOGIN_MAX_FAILURES',
  'LOCKOUT_DURATION',
  'RATE_LIMIT_ENABLED',
  'RATE_LIMIT_AUTH',
  'COOKIE_SECURE',
  'CORS_ORIGINS',
  'AUDIT_RETENTION',
  'LOG_LEVEL',
  'JWT_ALGORITHM',
  'TRUST_PROXY',
  'DOCS_ACCESS',
  'NODE_ENV',
]);

// The subset of the Compose model this test reads; the schema has vouched for the shapes.
type EnvValue = string | number | boolean | null;
type ListOrDict = string[] | Record<string, EnvValue>;
interface Healthcheck {
  test?: string | string[];
  interval?: string;
  timeout?: string;
  retries?: number | string;
  start_period?: string;
  disable?: boolean | string;
}
interface VolumeMount {
  type?: string;
  source?: string;
  target?: string;
}
interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[] | null;
  environment?: ListOrDict;
  env_file?: string | (string | { path: string; required?: boolean | string })[];
  depends_on?: string[] | Record<string, { condition: string }>;
  healthcheck?: Healthcheck;
  volumes?: (string | VolumeMount)[];
  ports?: (string | number | { target?: number | string; published?: number | string })[];
  user?: string;
}
interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file?: string }>;
  configs?: Record<string, { file?: string }>;
}

function readComposeSchema(): AnySchemaObject {
  // dclint's package exports do not list its schemas/ folder, so resolve it beside package.json.
  const packageDir = dirname(require.resolve('dclint/package.json'));
  const schema: unknown = JSON.parse(
    fs.readFileSync(join(packageDir, 'schemas', 'compose.schema.json'), 'utf8'),
  );
  if (typeof schema !== 'object' || schema === null) throw new Error('compose schema not found');
  return schema;
}

function compileComposeValidator(): ValidateFunction<ComposeFile> {
  const schema = readComposeSchema();
  // The schema is JSON Schema draft-07 but names its meta-schema by the https:// address, while
  // Ajv registers draft-07 under http://. Alias it so the schema itself is checked as draft-07.
  // Ajv's strict mode stays on (unknown keywords are refused) except strictTypes, an Ajv-specific
  // lint that the official schema's union types and untyped `oneOf` branches do not follow.
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
  addFormats(ajv);
  const metaId = String(schema.$schema);
  const draft07 = ajv.getSchema('http://json-schema.org/draft-07/schema')?.schema;
  if (metaId.startsWith('https://json-schema.org/draft-07/') && typeof draft07 === 'object') {
    ajv.addMetaSchema({ ...draft07, $id: metaId });
  }
  return ajv.compile<ComposeFile>(schema);
}

function parseYamlFile(path: string): unknown {
  return load(fs.readFileSync(path, 'utf8'));
}

function describeErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''}`);
}

function environmentOf(service: ComposeService): Map<string, string> {
  const env = new Map<string, string>();
  const { environment } = service;
  if (Array.isArray(environment)) {
    for (const entry of environment) {
      const at = entry.indexOf('=');
      env.set(at < 0 ? entry : entry.slice(0, at), at < 0 ? '' : entry.slice(at + 1));
    }
  } else if (environment) {
    for (const [name, value] of Object.entries(environment)) env.set(name, String(value ?? ''));
  }
  return env;
}

function dependenciesOf(service: ComposeService): Map<string, string> {
  const deps = new Map<string, string>();
  const { depends_on: dependsOn } = service;
  if (Array.isArray(dependsOn)) {
    for (const name of dependsOn) deps.set(name, 'service_started');
  } else if (dependsOn) {
    for (const [name, { condition }] of Object.entries(dependsOn)) deps.set(name, condition);
  }
  return deps;
}

function healthcheckCommand(service: ComposeService): string[] {
  const test = service.healthcheck?.test;
  if (test === undefined) return [];
  return typeof test === 'string' ? ['CMD-SHELL', test] : test;
}

interface Mount {
  kind: 'volume' | 'bind';
  source: string;
  target: string;
}

function mountsOf(service: ComposeService): Mount[] {
  return (service.volumes ?? []).flatMap((volume): Mount[] => {
    if (typeof volume === 'string') {
      const [source, target] = volume.split(':');
      if (target === undefined) return []; // anonymous volume
      const bind = /^[./~]/.test(source);
      return [{ kind: bind ? 'bind' : 'volume', source, target }];
    }
    if (!volume.source || !volume.target) return [];
    const kind = volume.type === 'bind' ? 'bind' : 'volume';
    return [{ kind, source: volume.source, target: volume.target }];
  });
}

/** Every host path the Compose file makes Docker read, relative to the file's directory. */
function referencedFiles(doc: ComposeFile): { what: string; path: string; dir: boolean }[] {
  const refs: { what: string; path: string; dir: boolean }[] = [];
  for (const [name, service] of Object.entries(doc.services)) {
    if (service.build !== undefined) {
      const build = typeof service.build === 'string' ? { context: service.build } : service.build;
      const context = build.context ?? '.';
      refs.push({ what: `${name} build context`, path: context, dir: true });
      refs.push({
        what: `${name} Dockerfile`,
        path: join(context, build.dockerfile ?? 'Dockerfile'),
        dir: false,
      });
    }
    for (const mount of mountsOf(service)) {
      if (mount.kind === 'bind') {
        refs.push({ what: `${name} bind mount`, path: mount.source, dir: false });
      }
    }
    const envFiles = service.env_file === undefined ? [] : [service.env_file].flat();
    for (const envFile of envFiles) {
      const entry = typeof envFile === 'string' ? { path: envFile, required: true } : envFile;
      if (entry.required !== false) {
        refs.push({ what: `${name} env_file`, path: entry.path, dir: false });
      }
    }
  }
  for (const kind of ['secrets', 'configs'] as const) {
    for (const [name, item] of Object.entries(doc[kind] ?? {})) {
      if (item.file) refs.push({ what: `${kind}.${name}`, path: item.file, dir: false });
    }
  }
  return refs;
}

function dockerignoreEntries(): string[] {
  return fs
    .readFileSync(join(ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

function isDockerignored(path: string, entries: string[]): boolean {
  const glob = (pattern: string): RegExp =>
    new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}(/.*)?$`);
  let ignored = false;
  for (const entry of entries) {
    const negated = entry.startsWith('!');
    const pattern = (negated ? entry.slice(1) : entry).replace(/^\/|\/$/g, '');
    if (glob(pattern).test(path)) ignored = !negated;
  }
  return ignored;
}

function exitCodeOf(args: string[]): Promise<number> {
  return new Promise((done) => {
    execFile(process.execPath, args, { timeout: 10_000 }, (error) => {
      if (!error) return done(0);
      done(typeof error.code === 'number' ? error.code : -1);
    });
  });
}

describe('docker-compose.yml', () => {
  const doc = parseYamlFile(COMPOSE_FILE);
  const validate = compileComposeValidator();

  function compose(): ComposeFile {
    if (!validate(doc)) throw new Error(describeErrors(validate.errors).join('\n'));
    return doc;
  }

  describe('Compose Specification schema', () => {
    it('accepts docker-compose.yml', () => {
      const valid = validate(doc);
      expect(describeErrors(validate.errors)).toEqual([]);
      expect(valid).toBe(true);
    });

    it('rejects a healthcheck interval that is not a duration string', () => {
      const broken = structuredClone(compose());
      broken.services.postgres.healthcheck = { ...broken.services.postgres.healthcheck };
      (broken.services.postgres.healthcheck as Record<string, unknown>).interval = 12;
      expect(validate(broken)).toBe(false);
      expect(describeErrors(validate.errors)).toContain(
        '/services/postgres/healthcheck/interval must be string',
      );
    });

    it('rejects an unknown top-level key', () => {
      const broken: Record<string, unknown> = { ...structuredClone(compose()), servcies: {} };
      expect(validate(broken)).toBe(false);
      expect(validate.errors).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            keyword: 'additionalProperties',
            params: { additionalProperty: 'servcies' },
          }),
        ]),
      );
    });

    it('rejects an unknown depends_on condition', () => {
      const broken = structuredClone(compose());
      broken.services['tessera-1'].depends_on = { postgres: { condition: 'service_ready' } };
      expect(validate(broken)).toBe(false);
      expect(describeErrors(validate.errors)).toContain(
        '/services/tessera-1/depends_on/postgres/condition must be equal to one of the allowed values',
      );
    });
  });

  describe('demo defaults', () => {
    it('says its secrets and defaults are demo-only, and where real ones go', () => {
      const text = fs.readFileSync(COMPOSE_FILE, 'utf8');
      const header = text.slice(0, text.indexOf('\nname:'));
      expect(header).toMatch(/DEMO ONLY/);
      for (const variable of ['POSTGRES_PASSWORD', 'DATABASE_URL', 'REDIS_URL', 'COOKIE_SECURE']) {
        expect(header).toContain(variable);
      }
      expect(header).toMatch(/\.env/);
      // Each literal credential carries its own warning on the line above.
      const lines = text.split('\n');
      for (const credential of [
        'POSTGRES_PASSWORD: tessera',
        'DATABASE_URL: postgres://tessera:',
      ]) {
        const index = lines.findIndex((line) => line.includes(credential));
        expect(index).toBeGreaterThan(0);
        expect(lines[index - 1]).toMatch(/#.*[Dd]emo/);
      }
    });
  });

  describe('topology', () => {
    it('runs postgres, redis and the app instances', () => {
      const { services } = compose();
      expect(services.postgres.image).toMatch(/^postgres:16-alpine$/);
      expect(services.redis.image).toMatch(/^redis:7-alpine$/);
      for (const name of APP_INSTANCES) expect(services[name]).toBeDefined();
      // Whatever is built from this repository is an app instance, and is checked below as one.
      const built = Object.keys(services).filter((name) => services[name].build !== undefined);
      expect(built.sort()).toEqual([...APP_INSTANCES].sort());
    });

    it('gives postgres and redis healthchecks', () => {
      const { services } = compose();
      expect(healthcheckCommand(services.postgres).join(' ')).toMatch(/pg_isready/);
      expect(healthcheckCommand(services.redis).join(' ')).toMatch(/redis-cli ping/);
      for (const name of ['postgres', 'redis']) {
        expect(services[name].healthcheck?.disable).toBeFalsy();
      }
    });

    it('keeps postgres data in a declared named volume', () => {
      const doc = compose();
      const data = mountsOf(doc.services.postgres).find(
        (mount) => mount.target === '/var/lib/postgresql/data',
      );
      expect(data?.kind).toBe('volume');
      expect(Object.keys(doc.volumes ?? {})).toContain(data?.source);
    });

    it.each(APP_INSTANCES)('%s waits for healthy postgres and redis', (name) => {
      const deps = dependenciesOf(compose().services[name]);
      expect(deps.get('postgres')).toBe('service_healthy');
      expect(deps.get('redis')).toBe('service_healthy');
    });

    it.each(APP_INSTANCES)('%s uses the shared postgres and redis', (name) => {
      const env = environmentOf(compose().services[name]);
      const database = new URL(env.get('DATABASE_URL') ?? '');
      expect(database.protocol).toBe('postgres:');
      expect(database.hostname).toBe('postgres');
      expect(database.port).toBe('5432');
      const redis = new URL(env.get('REDIS_URL') ?? '');
      expect(redis.protocol).toBe('redis:');
      expect(redis.hostname).toBe('redis');
      expect(redis.port).toBe('6379');
    });

    it('matches the database credentials postgres is started with', () => {
      const { services } = compose();
      const pg = environmentOf(services.postgres);
      for (const name of APP_INSTANCES) {
        const url = new URL(environmentOf(services[name]).get('DATABASE_URL') ?? '');
        expect(decodeURIComponent(url.username)).toBe(pg.get('POSTGRES_USER'));
        expect(decodeURIComponent(url.password)).toBe(pg.get('POSTGRES_PASSWORD'));
        expect(url.pathname).toBe(`/${pg.get('POSTGRES_DB') ?? ''}`);
      }
    });

    it.each(APP_INSTANCES)('%s probes GET /health/ready', (name) => {
      const command = healthcheckCommand(compose().services[name]);
      expect(command[0]).toBe('CMD');
      expect(command.slice(1, 3)).toEqual(['node', '-e']);
      expect(command[3]).toMatch(
        /fetch\('http:\/\/(127\.0\.0\.1|localhost):3000\/health\/ready'\)/,
      );
    });

    it.each(APP_INSTANCES)('%s sets only contract configuration variables', (name) => {
      const names = [...environmentOf(compose().services[name]).keys()];
      expect(names.filter((variable) => !CONTRACT_ENV.has(variable))).toEqual([]);
    });

    it('configures every app instance identically', () => {
      const { services } = compose();
      const [first, ...rest] = APP_INSTANCES.map((name) => services[name]);
      for (const other of rest) {
        expect(Object.fromEntries(environmentOf(other))).toEqual(
          Object.fromEntries(environmentOf(first)),
        );
        expect(other.image).toBe(first.image);
        expect(other.build).toEqual(first.build);
      }
    });

    it('gives every app instance the same signing key, made before any instance starts', () => {
      const doc = compose();
      const keyFiles = APP_INSTANCES.map((name) =>
        environmentOf(doc.services[name]).get('JWT_PRIVATE_KEY_FILE'),
      );
      expect(new Set(keyFiles).size).toBe(1);
      const keyFile = keyFiles[0] ?? '';
      expect(posix.isAbsolute(keyFile)).toBe(true);
      for (const name of APP_INSTANCES) {
        const env = environmentOf(doc.services[name]);
        expect(env.has('JWT_PRIVATE_KEY')).toBe(false);
        // The key file lies on a named volume mounted read-only into the instance...
        const mount = mountsOf(doc.services[name]).find((m) => keyFile.startsWith(`${m.target}/`));
        expect(mount?.kind).toBe('volume');
        expect(doc.services[name].volumes).toContain(`${mount?.source}:${mount?.target}:ro`);
        // ...which the one-shot `keygen` service fills before the instance starts.
        expect(dependenciesOf(doc.services[name]).get('keygen')).toBe(
          'service_completed_successfully',
        );
      }
    });

    it('serializes instance start-up so one instance applies migrations', () => {
      expect(dependenciesOf(compose().services['tessera-2']).get('tessera-1')).toBe(
        'service_healthy',
      );
    });

    it('references only services and volumes it declares, without dependency cycles', () => {
      const doc = compose();
      const declaredVolumes = Object.keys(doc.volumes ?? {});
      for (const [name, service] of Object.entries(doc.services)) {
        for (const dep of dependenciesOf(service).keys()) {
          expect(`${name} -> ${dep}: ${dep in doc.services}`).toBe(`${name} -> ${dep}: true`);
        }
        for (const mount of mountsOf(service).filter((m) => m.kind === 'volume')) {
          expect(declaredVolumes).toContain(mount.source);
        }
      }
      const visiting = new Set<string>();
      const done = new Set<string>();
      const visit = (name: string, path: string[]): void => {
        if (done.has(name)) return;
        if (visiting.has(name))
          throw new Error(`dependency cycle: ${[...path, name].join(' -> ')}`);
        visiting.add(name);
        for (const dep of dependenciesOf(doc.services[name]).keys()) visit(dep, [...path, name]);
        visiting.delete(name);
        done.add(name);
      };
      for (const name of Object.keys(doc.services)) visit(name, []);
    });

    it('references only files that exist in the repository', () => {
      const refs = referencedFiles(compose());
      expect(refs.map((ref) => ref.what)).toEqual(
        expect.arrayContaining(['tessera-1 Dockerfile', 'lb bind mount']),
      );
      for (const ref of refs) {
        const path = resolve(ROOT, ref.path);
        expect(`${ref.what}: ${relative(ROOT, path)}`).not.toMatch(/: \.\./); // inside the repo
        expect(`${ref.what}: ${ref.path} exists=${fs.existsSync(path)}`).toMatch(/exists=true$/);
        expect(fs.statSync(path).isDirectory()).toBe(ref.dir);
      }
    });
  });

  describe('load balancer', () => {
    const nginxConf = (): string => {
      const mount = mountsOf(compose().services.lb).find((m) => m.target.startsWith('/etc/nginx/'));
      return fs.readFileSync(resolve(ROOT, mount?.source ?? 'missing'), 'utf8');
    };

    it('balances exactly the app instances on port 3000', () => {
      const servers = [...nginxConf().matchAll(/^\s*server\s+([\w.-]+:\d+)/gm)].map((m) => m[1]);
      expect(servers.sort()).toEqual(APP_INSTANCES.map((name) => `${name}:3000`).sort());
    });

    it('publishes the port nginx listens on and starts after healthy instances', () => {
      const { lb } = compose().services;
      const listen = /^\s*listen\s+(\d+)/m.exec(nginxConf())?.[1];
      expect(lb.ports).toContain(`3000:${listen ?? ''}`);
      for (const name of APP_INSTANCES) {
        expect(dependenciesOf(lb).get(name)).toBe('service_healthy');
      }
    });

    it('is the one proxy hop the instances trust', () => {
      expect(nginxConf()).toMatch(/proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;/);
      for (const name of APP_INSTANCES) {
        expect(environmentOf(compose().services[name]).get('TRUST_PROXY')).toBe('1');
      }
    });
  });

  describe('Dockerfile', () => {
    const dockerfile = fs.readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const pkg = JSON.parse(fs.readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };

    it('builds with the project scripts and runs the start script as the non-root node user', () => {
      expect(dockerfile).toMatch(/^RUN npm ci$/m);
      expect(pkg.scripts.build).toBeDefined();
      expect(dockerfile).toMatch(/^RUN npm run build\b/m);
      expect(dockerfile).toMatch(/npm prune --omit=dev/);
      expect(dockerfile).toMatch(/^USER node$/m);
      expect(dockerfile).toMatch(/^EXPOSE 3000$/m);
      const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]';
      expect((JSON.parse(cmd) as string[]).join(' ')).toBe(pkg.scripts.start);
    });

    it("copies every workspace's manifest before npm ci (npm ci needs them to match the lock)", () => {
      const workspaces = fs
        .readdirSync(join(ROOT, 'packages'))
        .filter((name) => fs.existsSync(join(ROOT, 'packages', name, 'package.json')));
      expect(workspaces.length).toBeGreaterThan(0);
      const install = dockerfile.indexOf('\nRUN npm ci');
      for (const name of workspaces) {
        const copy = dockerfile.indexOf(`COPY packages/${name}/package.json packages/${name}/`);
        expect({ name, copiedBeforeInstall: copy >= 0 && copy < install }).toEqual({
          name,
          copiedBeforeInstall: true,
        });
      }
    });

    it('copies only files that exist and that .dockerignore lets through', () => {
      const ignored = dockerignoreEntries();
      const copies = [...dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)].map((m) => m[1]);
      const sources = copies.flatMap((line) => line.split(/\s+/).slice(0, -1));
      expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json']));
      for (const source of sources.filter((s) => s !== '.')) {
        expect(`${source} exists=${fs.existsSync(join(ROOT, source))}`).toMatch(/exists=true$/);
        expect(`${source} ignored=${isDockerignored(source, ignored)}`).toMatch(/ignored=false$/);
      }
      // `nest build` compiles these; the context must carry them.
      const buildInputs = ['package.json', 'package-lock.json', 'tsconfig.json'];
      buildInputs.push('tsconfig.build.json', 'nest-cli.json', 'src', 'migrations', 'bench');
      // bench imports test/support; the account page builds from both workspaces' sources.
      buildInputs.push('test/support', 'examples', 'packages/account/src', 'packages/client/src');
      for (const input of buildInputs) {
        expect(`${input} ignored=${isDockerignored(input, ignored)}`).toMatch(/ignored=false$/);
      }
      for (const local of ['node_modules', 'dist', 'data', '.env', '.git']) {
        expect(`${local} ignored=${isDockerignored(local, ignored)}`).toMatch(/ignored=true$/);
      }
    });
  });

  describe('inline programs', () => {
    describe('the readiness probe', () => {
      let server: Server;
      let ready = true;
      let origin = '';
      const probe = (): string[] => {
        const script = healthcheckCommand(compose().services['tessera-1'])[3] ?? '';
        return ['-e', script.replace(/http:\/\/(127\.0\.0\.1|localhost):3000/, origin)];
      };

      beforeAll(async () => {
        server = createServer((req, res) => {
          res.statusCode = req.url === '/health/ready' ? (ready ? 200 : 503) : 404;
          res.end();
        });
        await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
        origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      });

      afterAll(async () => {
        if (server.listening) await new Promise((closed) => server.close(closed));
      });

      it('exits 0 when /health/ready answers 200, 1 on 503 or no answer', async () => {
        ready = true;
        await expect(exitCodeOf(probe())).resolves.toBe(0);
        ready = false;
        await expect(exitCodeOf(probe())).resolves.toBe(1);
        await new Promise((closed) => server.close(closed));
        await expect(exitCodeOf(probe())).resolves.toBe(1);
      });
    });

    describe('the signing key generator', () => {
      it('writes one RSA key where the instances read it, and keeps it on later starts', () => {
        const doc = compose();
        const { keygen } = doc.services;
        const keyFile = environmentOf(doc.services['tessera-1']).get('JWT_PRIVATE_KEY_FILE') ?? '';
        const appMount = mountsOf(doc.services['tessera-1']).find((m) =>
          keyFile.startsWith(`${m.target}/`),
        );
        const keygenMount = mountsOf(keygen).find((m) => m.source === appMount?.source);
        expect(keygenMount).toBeDefined();
        const written = posix.join(
          keygenMount?.target ?? '',
          posix.relative(appMount?.target ?? '', keyFile),
        );
        const command = Array.isArray(keygen.command) ? keygen.command : [];
        expect(command.slice(0, 2)).toEqual(['node', '-e']);
        const script = command[2] ?? '';
        expect(script).toContain(`'${written}'`);

        // Run the script with its volume redirected to a temporary directory.
        const volume = fs.mkdtempSync(join(tmpdir(), 'tessera-keygen-'));
        const chowned: [string, number, number][] = [];
        const onVolume = (path: string): string => {
          expect(path.startsWith(`${keygenMount?.target ?? ''}/`)).toBe(true);
          return join(volume, basename(path));
        };
        const fakeFs = {
          existsSync: (path: string) => fs.existsSync(onVolume(path)),
          writeFileSync: (path: string, data: string, options: fs.WriteFileOptions) =>
            fs.writeFileSync(onVolume(path), data, options),
          chownSync: (path: string, uid: number, gid: number) => {
            chowned.push([path, uid, gid]);
          },
        };
        const sandboxRequire = (id: string): unknown => {
          if (id === 'node:fs') return fakeFs;
          if (id === 'node:crypto') return crypto;
          throw new Error(`keygen script requires ${id}`);
        };
        const quiet = { log: () => undefined };
        try {
          runInNewContext(script, { require: sandboxRequire, console: quiet });
          const local = join(volume, basename(written));
          const pem = fs.readFileSync(local, 'utf8');
          const key = crypto.createPrivateKey(pem);
          expect(key.asymmetricKeyType).toBe('rsa');
          // The app refuses supplied RSA keys under 3072 bits.
          expect(key.asymmetricKeyDetails?.modulusLength).toBeGreaterThanOrEqual(3072);
          expect(fs.statSync(local).mode & 0o777).toBe(0o400);
          // uid/gid 1000 is the `node` user the image runs as.
          expect(chowned).toEqual([[written, 1000, 1000]]);

          runInNewContext(script, { require: sandboxRequire, console: quiet });
          expect(fs.readFileSync(local, 'utf8')).toBe(pem);
          expect(chowned).toHaveLength(1);
        } finally {
          fs.rmSync(volume, { recursive: true, force: true });
        }
      });
    });
  });
});
