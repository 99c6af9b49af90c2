// Deployment files, checked without a Docker engine (none runs here): docker-compose.yml parses and wires the
// service to Temporal with configuration the service really reads; the Dockerfile builds what `npm run build`
// needs, on a glibc base, as a non-root user, with a health check on /healthz.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { parse } from 'yaml';
import { EnvSchema, loadConfig } from '../src/config.js';
import { SERVICE_MALLOC_CONF, SERVICE_NODE_FLAGS, WORKER_SHUTDOWN_GRACE_SECONDS } from '../src/worker/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const envNames = Object.keys(EnvSchema.properties);

interface ComposeService {
  image?: string;
  build?: unknown;
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: Array<string | number | { target: number; published?: string | number }>;
  command?: string[];
  init?: boolean;
  secrets?: string[];
}
interface Compose {
  services: Record<string, ComposeService>;
}

/** A service's environment as a map, whichever of the two compose syntaxes it uses. */
function environment(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((e) => [e.split('=')[0], e.includes('=') ? e.slice(e.indexOf('=') + 1) : '']));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/** What compose would pass with none of the referenced shell variables set: `${X:-default}` → default, `${X}` → ''. */
const interpolate = (value: string) =>
  value.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}/g, (_, def: string | undefined) => def ?? '');

/** Container ports of a service's `ports` entries ("8080:8080", "127.0.0.1:8080:8080/tcp", 8080, {target}). */
function containerPorts(service: ComposeService): number[] {
  return (service.ports ?? []).map((p) =>
    typeof p === 'object' ? Number(p.target) : Number(String(p).split('/')[0].split(':').at(-1)),
  );
}

const compose = parse(read('docker-compose.yml')) as Compose;

t.test('docker-compose.yml parses: a Temporal dev server (the CLI image) and the service built here', async (t) => {
  t.type(compose.services, 'object');
  t.same(Object.keys(compose.services).sort(), ['capacity-scheduler', 'temporal']);
  t.match(compose.services.temporal.image, /^temporalio\/temporal:\d/, 'the CLI image, a pinned tag');
  t.match(compose.services.temporal.command, ['server', 'start-dev'], 'running start-dev');
  t.ok(compose.services['capacity-scheduler'].build, 'capacity-scheduler is built from this repository');
});

t.test('docker-compose.yml is safe by default (issue 23)', async (t) => {
  const svc = compose.services['capacity-scheduler'];
  const env = environment(svc);
  t.notOk('AUTH_DISABLED' in env, 'no AUTH_DISABLED: tokens are the default');
  t.equal(env.API_TOKENS_FILE, '/run/secrets/api_tokens', 'the tokens file is the mounted secret');
  t.same(svc.secrets, ['api_tokens']);
  t.same(
    (svc.ports ?? []).map((p) => interpolate(String(p))),
    ['127.0.0.1:8080:8080'],
    'only the API, only on 127.0.0.1',
  );
  t.same(compose.services.temporal.ports, undefined, "Temporal's frontend and Web UI are not published");
  for (const [name, service] of Object.entries(compose.services))
    t.equal(service.init, true, `${name} runs under an init (PID 1 forwards SIGTERM, reaps children)`);
});

t.test(
  'docker-compose.postgres.yml: temporalio/server on PostgreSQL, schema by admin-tools, a read-only UI',
  async (t) => {
    const pg = parse(read('docker-compose.postgres.yml')) as Compose;
    t.match(pg.services.temporal.image, /^temporalio\/server:\d/, 'replaces the dev server under the same name');
    t.match(pg.services['temporal-schema'].image, /^temporalio\/admin-tools:\d/);
    const ui = pg.services['temporal-ui'];
    t.equal(environment(ui).TEMPORAL_DISABLE_WRITE_ACTIONS, 'true', 'the Web UI cannot start, signal or cancel');
    const published = Object.entries(pg.services).flatMap(([name, s]) => (s.ports ?? []).map((p) => `${name} ${p}`));
    t.same(published, ['temporal-ui 127.0.0.1:8233:8080'], 'only the UI is added, and only on 127.0.0.1');
    for (const name of ['postgresql', 'temporal-ui'])
      t.equal(pg.services[name].init, true, `${name} runs under an init`);
  },
);

t.test('the dev server registers no search attribute: the service adds its own at start', async (t) => {
  t.notMatch((compose.services.temporal.command ?? []).join(' '), /search-attribute/);
});

t.test('capacity-scheduler: every environment key is a config variable, and the values load', async (t) => {
  const svc = compose.services['capacity-scheduler'];
  const env = environment(svc);
  t.ok(Object.keys(env).length > 0, 'it sets an environment');
  for (const key of Object.keys(env)) t.ok(envNames.includes(key), `${key} is in src/config.ts EnvSchema`);

  // With no shell variables set (no TEMPORAL_CLOUD_API_KEY): the configuration is valid and selects the emulator.
  // The mounted secret, stood in for by a tokens file of the same shape.
  const dir = t.testdir({
    'tokens.json': JSON.stringify([{ name: 'ci', scopes: ['capacity:read'], sha256: 'a'.repeat(64) }]),
  });
  const values = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(v)]));
  const config = loadConfig({ ...values, API_TOKENS_FILE: path.join(dir, 'tokens.json') });
  t.equal(config.auth.mode, 'tokens', 'the API authenticates with tokens');
  t.equal(config.cloudOps.apiKey, null, 'TEMPORAL_CLOUD_API_KEY unset by default: the embedded emulator');
  t.equal(config.http.host, '0.0.0.0', 'HOST=0.0.0.0: the API is reachable through the published port');
  t.equal(env.HOST, '0.0.0.0', 'HOST is set in compose itself, not only by the image');
  if (/EMULATOR_CONTROL_PORT|control plane/i.test(read('docker-compose.yml'))) {
    t.ok(
      'EMULATOR_CONTROL_PORT' in env,
      'compose documents the emulator control plane, so it passes EMULATOR_CONTROL_PORT',
    );
  }
});

t.test("capacity-scheduler: TEMPORAL_ADDRESS is the temporal service's host:port", async (t) => {
  const env = environment(compose.services['capacity-scheduler']);
  const [host, port] = (env.TEMPORAL_ADDRESS ?? '').split(':');
  t.equal(host, 'temporal', 'the host is the temporal service');
  const temporalPorts = containerPorts(compose.services.temporal);
  t.ok(
    (temporalPorts.length ? temporalPorts : [7233]).includes(Number(port)),
    `port ${port} is the temporal frontend port`,
  );
});

t.test('capacity-scheduler: the published port is the port the API listens on', async (t) => {
  const env = environment(compose.services['capacity-scheduler']);
  const dockerfilePort = /^ENV\s.*\bPORT=(\d+)/m.exec(read('Dockerfile'))?.[1];
  const schemaDefault = (EnvSchema.properties.PORT as { default?: string }).default;
  const port = Number(env.PORT ?? dockerfilePort ?? schemaDefault);
  t.same(containerPorts(compose.services['capacity-scheduler']), [port], `the container port is PORT (${port})`);
  const exposed = /^EXPOSE\s+(\d+)/m.exec(read('Dockerfile'))?.[1];
  t.equal(Number(exposed), port, 'and the Dockerfile EXPOSEs it');
});

// ---- Dockerfile ------------------------------------------------------------------------------------------

interface Instruction {
  op: string;
  args: string;
}
/** Instructions with line continuations joined and comments dropped. */
function instructions(text: string): Instruction[] {
  return text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

const dockerfile = instructions(read('Dockerfile'));
const stages: Array<{ name: string | undefined; base: string; body: Instruction[] }> = [];
{
  const args: Record<string, string> = {};
  for (const ins of dockerfile) {
    if (ins.op === 'ARG' && stages.length === 0) {
      const [k, v = ''] = ins.args.split('=');
      args[k] = v;
    } else if (ins.op === 'FROM') {
      const [image, , name] = ins.args.replace(/--platform=\S+\s+/, '').split(/\s+/);
      stages.push({ name, base: image.replace(/\$\{?(\w+)\}?/g, (_, a: string) => args[a] ?? ''), body: [] });
    } else stages.at(-1)?.body.push(ins);
  }
}

t.test('Dockerfile: glibc base image, non-root user, health check on /healthz', async (t) => {
  const stageNames = new Set(stages.map((s) => s.name));
  const external = stages.map((s) => s.base).filter((b) => !stageNames.has(b));
  t.ok(external.length > 0, `base images: ${external.join(', ')}`);
  for (const base of external) {
    t.notMatch(base, /alpine/i, `${base} is not Alpine (the Temporal SDK's native core needs glibc)`);
    t.match(base, /^node:(\d+)/, `${base} is a Node image`);
    t.ok(Number(/^node:(\d+)/.exec(base)?.[1]) >= 24, `${base}: Node >= 24`);
  }
  const final = stages.at(-1)!;
  const user = final.body.filter((i) => i.op === 'USER').at(-1)?.args;
  t.ok(user, 'the final stage sets USER');
  t.notOk(/^(root|0)(:|$)/.test(user ?? 'root'), `and it is not root (${user})`);
  const health = final.body.find((i) => i.op === 'HEALTHCHECK');
  t.ok(health, 'HEALTHCHECK is set');
  t.match(health?.args ?? '', /\/healthz/, 'it probes /healthz');
  t.match(
    final.body.find((i) => i.op === 'CMD')?.args ?? '',
    /dist\/src\/main\.js/,
    'the image runs the compiled service',
  );
});

t.test(
  'Dockerfile: the final stage preloads jemalloc, from a path it creates, for the processes it runs',
  async (t) => {
    const final = stages.at(-1)!;
    const install = final.body.find((i) => i.op === 'RUN' && /apt-get install\b.*\blibjemalloc2\b/.test(i.args));
    t.ok(install, 'the final stage installs libjemalloc2');
    const linked = /ln -s \S+ (\/\S+libjemalloc\.so\.2)\b/.exec(install?.args ?? '')?.[1];
    t.ok(linked, `and links the library at one path (${linked})`);
    t.match(
      install?.args ?? '',
      /test -n "\$lib"/,
      'failing the build when the library is not found, not linking nothing',
    );
    const preload = final.body
      .filter((i) => i.op === 'ENV')
      .flatMap((i) => [...(/\bLD_PRELOAD=(\S+)/.exec(i.args)?.slice(1) ?? [])]);
    t.same(preload, [linked], 'LD_PRELOAD names that path');
    const conf = final.body
      .filter((i) => i.op === 'ENV')
      .flatMap((i) => [...(/\bMALLOC_CONF=(\S+)/.exec(i.args)?.slice(1) ?? [])]);
    t.same(conf, [SERVICE_MALLOC_CONF], "MALLOC_CONF gives jemalloc the options the benchmark's worker runs with");
    const at = (pred: (i: Instruction) => boolean) => final.body.findIndex(pred);
    t.ok(
      at((i) => i.op === 'ENV' && /\bLD_PRELOAD=/.test(i.args)) >
        at((i) => i.op === 'COPY' && /node_modules/.test(i.args)),
      'set after the build steps, so that only the service runs with it',
    );
  },
);

t.test("Dockerfile: the service runs with the worker's V8 flags, and this Node accepts them", async (t) => {
  const cmd =
    stages
      .at(-1)!
      .body.filter((i) => i.op === 'CMD')
      .at(-1)?.args ?? '';
  t.same(JSON.parse(cmd), ['node', ...SERVICE_NODE_FLAGS, 'dist/src/main.js']);
  t.ok(SERVICE_NODE_FLAGS.length > 0, SERVICE_NODE_FLAGS.join(' '));
  // A flag a Node release drops makes node refuse to start ("bad option"), which would take the image down.
  const run = spawnSync(process.execPath, [...SERVICE_NODE_FLAGS, '-e', '0'], { encoding: 'utf8' });
  t.equal(run.status, 0, run.stderr);
});

/** Does a COPY source (path or glob) cover a file the build needs? */
function covers(source: string, file: string): boolean {
  const src = source.replace(/^\.\//, '').replace(/\/$/, '');
  if (src === '.' || file === src || file.startsWith(`${src}/`)) return true;
  const re = new RegExp(
    `^${src
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')}$`,
  );
  return re.test(file);
}

t.test(
  'Dockerfile: runs `npm run build` with everything that script needs copied in, then ships its output',
  async (t) => {
    const buildScript = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts.build;
    const buildStage = stages.find((s) => s.body.some((i) => i.op === 'RUN' && /\bnpm run build\b/.test(i.args)));
    t.ok(buildStage, 'a stage runs `npm run build` (tsc, then the prebuilt workflow bundle)');
    t.match(buildScript, /bundle-workflows/, 'and that script prebuilds the workflow bundle');
    if (!buildStage) return;

    // Files the build script names (tsconfig passed with -p, scripts run with tsx), plus the sources.
    const needed = [
      'package.json',
      'package-lock.json',
      'src/main.ts',
      ...(buildScript.match(/[\w./-]+\.(?:json|ts)\b/g) ?? []),
    ];
    const runAt = buildStage.body.findIndex((i) => i.op === 'RUN' && /\bnpm run build\b/.test(i.args));
    const copied = buildStage.body
      .slice(0, runAt)
      .filter((i) => (i.op === 'COPY' || i.op === 'ADD') && !/--from=/.test(i.args))
      .flatMap((i) =>
        i.args
          .split(/\s+/)
          .filter((a) => !a.startsWith('--'))
          .slice(0, -1),
      );
    const rules = read('.dockerignore')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    // Docker's rule: the last pattern that matches the file or one of its folders decides; `!` re-includes.
    const prefixes = (file: string) => file.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
    const excluded = (file: string) =>
      rules.reduce(
        (out, rule) => (prefixes(file).some((p) => covers(rule.replace(/^!/, ''), p)) ? !rule.startsWith('!') : out),
        false,
      );
    for (const file of needed) {
      t.ok(
        copied.some((c) => covers(c, file)),
        `${file} is copied into the build stage before \`npm run build\``,
      );
      t.notOk(excluded(file), `${file} is not excluded by .dockerignore`);
    }
    const final = stages.at(-1)!;
    t.ok(
      final.body.some(
        (i) => i.op === 'COPY' && i.args.includes(`--from=${buildStage.name}`) && /\bdist\b/.test(i.args),
      ),
      'the final stage copies dist/ (with the prebuilt bundle) from the build stage',
    );
    t.ok(
      buildStage.body.some((i) => i.op === 'RUN' && /npm prune --omit=dev/.test(i.args)) &&
        final.body.some(
          (i) => i.op === 'COPY' && i.args === `--from=${buildStage.name} /app/node_modules ./node_modules`,
        ),
      'the final stage gets production dependencies only (pruned in the build stage)',
    );
  },
);

t.test(
  'every package the compiled service imports is a production dependency (the image omits devDependencies)',
  async (t) => {
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) => {
        const p = path.join(dir, f);
        return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
      });
    const used = new Set<string>();
    for (const file of walk(path.join(root, 'src'))) {
      const text = readFileSync(file, 'utf8');
      // Value imports and re-exports only: `import type` is erased by the compiler.
      const specifiers = [
        ...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/gm),
        ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g),
      ].map((m) => m[1]);
      for (const s of specifiers) {
        if (s.startsWith('.') || s.startsWith('node:')) continue;
        used.add(s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]);
      }
    }
    t.ok(used.size > 0, `src imports ${[...used].sort().join(', ')}`);
    for (const name of used) t.ok(name in pkg.dependencies, `${name} is in dependencies`);
  },
);

// ---- Kubernetes (deploy/kubernetes; scripts/check-manifests.sh validates them against the schemas and checkov) --

interface K8sEnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
}
interface K8sContainer {
  name: string;
  image: string;
  env?: K8sEnvVar[];
  envFrom?: Array<{ configMapRef?: { name: string } }>;
  ports?: Array<{ name: string; containerPort: number }>;
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    runAsNonRoot?: boolean;
    capabilities?: { drop?: string[] };
  };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}
interface K8sPodSpec {
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  containers: K8sContainer[];
  volumes?: Array<{
    name: string;
    emptyDir?: object;
    secret?: { secretName: string; items?: Array<{ key: string }> };
  }>;
}
interface K8sResource {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: {
    selector?: { matchLabels?: Record<string, string> } & Record<string, string>;
    template?: { metadata: { labels: Record<string, string> }; spec: K8sPodSpec };
    ports?: Array<{ port: number; targetPort: string | number }>;
    minAvailable?: number;
  };
}

const k8sDir = 'deploy/kubernetes';
const kustomization = parse(read(`${k8sDir}/kustomization.yaml`)) as {
  resources: string[];
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
};
const k8s: K8sResource[] = kustomization.resources.map((f) => parse(read(`${k8sDir}/${f}`)) as K8sResource);
const secretExample = parse(read(`${k8sDir}/secret.example.yaml`)) as K8sResource;
const configMap = k8s.find((r) => r.kind === 'ConfigMap')!;
const deploymentOf = (role: string) =>
  k8s.find(
    (r) =>
      r.kind === 'Deployment' &&
      r.spec?.template?.spec.containers[0].env?.some((e) => e.name === 'ROLE' && e.value === role),
  );

t.test('kubernetes: kustomize applies every manifest but the example Secret, which only shows the keys', async (t) => {
  const files = readdirSync(path.join(root, k8sDir)).filter((f) => f.endsWith('.yaml'));
  t.same(
    [...kustomization.resources].sort(),
    files.filter((f) => !['kustomization.yaml', 'checkov.yaml', 'secret.example.yaml'].includes(f)).sort(),
  );
  t.notOk(
    k8s.some((r) => r.kind === 'Secret'),
    'no Secret is applied: real values are created by hand',
  );
  for (const [key, value] of Object.entries(secretExample.stringData ?? {})) {
    t.match(value, /REPLACE|0{64}/, `secret.example.yaml's ${key} is a placeholder`);
  }
});

t.test('kubernetes: an API and a worker Deployment (the ROLE split) on the image `docker build` names', async (t) => {
  const pkg = JSON.parse(read('package.json')) as { name: string; version: string };
  t.same(kustomization.images, [{ name: pkg.name, newTag: pkg.version }], 'kustomize pins the version tag');
  for (const role of ['api', 'worker']) {
    const d = deploymentOf(role);
    t.ok(d, `a Deployment runs ROLE=${role}`);
    const c = d!.spec!.template!.spec.containers;
    t.equal(c.length, 1);
    t.equal(c[0].image, `${pkg.name}:${pkg.version}`, `${role}: docker build -t ${pkg.name}:${pkg.version} .`);
  }
  t.match(read('docs/deployment.md'), `docker build -t ${pkg.name}:${pkg.version} .`, 'the docs build that image');
});

/** The environment a role's container gets: the ConfigMap, then its own env; Secret keys from secret.example.yaml. */
function roleEnv(container: K8sContainer, files: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef?.name === configMap.metadata.name) Object.assign(env, configMap.data);
  }
  for (const e of container.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    const value = ref ? secretExample.stringData?.[ref.key] : e.value;
    if (value !== undefined) env[e.name] = files[value] ?? value;
  }
  return env;
}

t.test(
  'kubernetes: every variable is a config variable, secrets come from the Secret, and each role loads',
  async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'k8s-env-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    for (const key of Object.keys(configMap.data ?? {}))
      t.ok(envNames.includes(key), `ConfigMap ${key} is in EnvSchema`);
    for (const role of ['api', 'worker'] as const) {
      const spec = deploymentOf(role)!.spec!.template!.spec;
      const [c] = spec.containers;
      for (const e of c.env ?? []) {
        t.ok(envNames.includes(e.name), `${role}: ${e.name} is in EnvSchema`);
        const ref = e.valueFrom?.secretKeyRef;
        if (/KEY|WEBHOOK|TOKEN(?!S_FILE)/.test(e.name)) t.ok(ref, `${role}: ${e.name} comes from a Secret`);
        if (ref) {
          t.equal(ref.name, secretExample.metadata.name, `${role}: ${e.name} names the Secret`);
          t.ok(ref.optional || ref.key in (secretExample.stringData ?? {}), `${role}: ${ref.key} is in the example`);
        }
      }
      // A mounted Secret file: write the example's content where the container would read it.
      const files: Record<string, string> = {};
      for (const v of spec.volumes ?? []) {
        const mount = c.volumeMounts?.find((m) => m.name === v.name);
        for (const item of v.secret?.items ?? []) {
          const local = path.join(dir, `${role}-${item.key}`);
          writeFileSync(local, secretExample.stringData?.[item.key] ?? '');
          files[`${mount!.mountPath}/${item.key}`] = local;
        }
      }
      const config = loadConfig(roleEnv(c, files));
      t.equal(config.role, role);
      t.equal(config.http.host, '0.0.0.0', `${role}: reachable by the kubelet's probes`);
      t.not(config.cloudOps.apiKey, null, `${role}: the real Cloud Ops API, never the emulator`);
      if (role === 'api') t.equal(config.auth.mode, 'tokens', 'the API requires tokens, from the mounted file');
    }
  },
);

t.test(
  'kubernetes: probes on /healthz and /readyz at PORT, a Service and a PodDisruptionBudget per role',
  async (t) => {
    for (const role of ['api', 'worker']) {
      const d = deploymentOf(role)!;
      const [c] = d.spec!.template!.spec.containers;
      const port = (name: string | number) =>
        typeof name === 'number' ? name : c.ports?.find((p) => p.name === name)?.containerPort;
      t.equal(c.livenessProbe?.httpGet?.path, '/healthz', `${role}: liveness`);
      t.equal(c.readinessProbe?.httpGet?.path, '/readyz', `${role}: readiness`);
      for (const probe of [c.livenessProbe, c.readinessProbe]) {
        t.equal(port(probe!.httpGet!.port), Number(configMap.data?.PORT), `${role}: probed on PORT`);
      }
      const labels = d.spec!.template!.metadata.labels;
      t.same(d.spec!.selector!.matchLabels, labels);
      const pdb = k8s.find(
        (r) =>
          r.kind === 'PodDisruptionBudget' && JSON.stringify(r.spec?.selector?.matchLabels) === JSON.stringify(labels),
      );
      t.ok(pdb, `${role}: a PodDisruptionBudget selects its pods`);
      t.equal(pdb?.spec?.minAvailable, 1);
    }
    const api = deploymentOf('api')!;
    const service = k8s.find((r) => r.kind === 'Service')!;
    t.same(service.spec?.selector, api.spec!.template!.metadata.labels, 'the Service selects the API pods');
    const apiPorts = api.spec!.template!.spec.containers[0].ports ?? [];
    t.ok(
      apiPorts.some((p) => p.name === service.spec?.ports?.[0].targetPort),
      'and targets their port',
    );
  },
);

t.test(
  'kubernetes: each role serves its own /metrics on PORT, named http; the worker adds the SDK exporter',
  async (t) => {
    const portsOf = (role: string) => deploymentOf(role)!.spec!.template!.spec.containers[0].ports ?? [];
    for (const role of ['api', 'worker']) {
      t.same(
        portsOf(role).find((p) => p.name === 'http')?.containerPort,
        Number(configMap.data?.PORT),
        `${role}: one name for the port of /metrics in both roles, so one scrape config reads both`,
      );
    }
    t.same(
      portsOf('worker').find((p) => p.name === 'sdk-metrics')?.containerPort,
      Number(configMap.data?.SDK_METRICS_PORT),
      "worker: the Temporal SDK's exporter at SDK_METRICS_PORT",
    );
  },
);

t.test("kubernetes: the worker's grace period is its drain plus 5 s to cancel and disconnect", async (t) => {
  t.equal(
    deploymentOf('worker')!.spec!.template!.spec.terminationGracePeriodSeconds,
    WORKER_SHUTDOWN_GRACE_SECONDS + 5,
  );
});

t.test('kubernetes: non-root, read-only root, no escalation, no capabilities, RuntimeDefault seccomp', async (t) => {
  for (const role of ['api', 'worker']) {
    const spec = deploymentOf(role)!.spec!.template!.spec;
    t.equal(spec.securityContext?.runAsNonRoot, true, `${role}: runAsNonRoot`);
    t.ok((spec.securityContext?.runAsUser ?? 0) > 0, `${role}: a non-root uid`);
    t.equal(spec.securityContext?.seccompProfile?.type, 'RuntimeDefault', `${role}: seccomp`);
    const [c] = spec.containers;
    t.match(c.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
    t.ok(
      spec.volumes?.find((v) => v.name === tmp?.name)?.emptyDir,
      `${role}: /tmp (os.tmpdir()) is a writable emptyDir`,
    );
  }
});

/** Kubernetes quantities in bytes (Mi, Gi, M, G, or plain). */
function bytes(quantity: string): number {
  const [, n, unit = ''] = /^(\d+)([A-Za-z]*)$/.exec(quantity) ?? [];
  return Number(n) * ({ '': 1, M: 1e6, G: 1e9, Mi: 2 ** 20, Gi: 2 ** 30 } as Record<string, number>)[unit];
}

t.test(
  "kubernetes: the worker's memory request covers the benchmark's measured peak, which the manifest cites",
  async (t) => {
    const manifest = read(`${k8sDir}/worker-deployment.yaml`);
    const [, low, high] = /(\d+)-(\d+) MB RSS/.exec(manifest) ?? [];
    t.ok(high, `the manifest cites the peak: ${low}-${high} MB`);
    t.match(read('bench/README.md'), `${low}-${high} MB`, 'bench/README.md measured it');
    const { requests, limits } = deploymentOf('worker')!.spec!.template!.spec.containers[0].resources ?? {};
    t.ok(bytes(requests?.memory ?? '0') >= Number(high) * 2 ** 20, `request ${requests?.memory} >= ${high} MB`);
    t.ok(bytes(limits?.memory ?? '0') > bytes(requests?.memory ?? '0'), `limit ${limits?.memory} leaves room above it`);
  },
);
