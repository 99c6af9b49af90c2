// Container stage "image": lints our Dockerfile, builds it unchanged, runs the image against a Temporal dev server
// on this machine, and carries one window through the published API port to a verified revert. The Cloud Ops
// emulator runs inside the container, embedded in the service (its default without TEMPORAL_CLOUD_API_KEY), as
// in the compose stack: the image needs no emulator certificate from outside, and its control plane is read
// with `docker exec`. Run by `npm run test:image` (scripts/container/run.sh starts the engine and the base image).
import { rmSync } from 'node:fs';
import { freePort, resolveTemporalCli, startDevServer } from '../../src/local/dev-server.js';
import { carryWindow, checkReverted, docker, makeToken, run, timed, waitFor, waitReady } from './helpers.js';

const IMAGE = 'capacity-scheduler:ci';
const CONTAINER = 'capacity-scheduler-image-test';
const NAMESPACE = 'payments.a1b2c';

await timed('hadolint: no findings', () => run('sh', ['scripts/container/hadolint.sh', 'Dockerfile']));
await timed(`built ${IMAGE} from our Dockerfile`, () =>
  run('docker', ['build', '-q', '-t', IMAGE, '.'], { env: { ...process.env, DOCKER_BUILDKIT: '0' } }),
);

const port = await freePort();
const server = // Without our search attributes: the service adds them itself at start, as on any self-hosted Temporal.
  await timed('Temporal dev server on 0.0.0.0, no search attributes', async () =>
    startDevServer({
      cli: resolveTemporalCli(process.env.TEMPORAL_CLI_PATH ?? null),
      ip: '0.0.0.0',
      port,
      uiPort: await freePort(),
    }),
  );
const tokens = makeToken();
docker('rm', '-f', CONTAINER);
try {
  docker(
    'run', '-d', '--name', CONTAINER,
    '-p', '127.0.0.1::8080',
    // The machine, through the bridge's gateway: the dev server listens on 0.0.0.0 for that.
    '--add-host', 'host.docker.internal:host-gateway',
    '-v', `${tokens.file}:/run/secrets/tokens.json:ro`,
    '-e', `TEMPORAL_ADDRESS=host.docker.internal:${port}`,
    '-e', 'API_TOKENS_FILE=/run/secrets/tokens.json',
    '-e', 'EMULATOR_APPLY_DELAY_MS=500',
    IMAGE,
  ); // prettier-ignore
  const baseUrl = `http://${docker('port', CONTAINER, '8080/tcp')}`;
  await timed(`ready at ${baseUrl}/readyz`, () => waitReady(baseUrl, 90_000));
  await timed('HEALTHCHECK reports healthy', () =>
    waitFor('the health check', 60_000, async () =>
      docker('inspect', '-f', '{{ .State.Health.Status }}', CONTAINER) === 'healthy' ? true : undefined,
    ),
  );
  // The page's files are copied by `npm run build`, not compiled: the image must carry them.
  await timed('the timeline page served', async () => {
    const page = await fetch(`${baseUrl}/ui/timeline.js`);
    if (page.status !== 200) throw new Error(`GET /ui/timeline.js answered ${page.status}`);
  });
  const window = await timed('a window carried to a verified revert', () =>
    carryWindow(baseUrl, tokens.token, NAMESPACE),
  );
  checkReverted(CONTAINER, NAMESPACE);
  console.error(`container: window ${window.id} COMPLETED, change and revert verified, emulator On-Demand again`);
  await timed('stopped with SIGTERM, exit code 0', () => {
    docker('stop', '-t', '30', CONTAINER);
    const code = docker('inspect', '-f', '{{ .State.ExitCode }}', CONTAINER);
    if (code !== '0')
      throw new Error(`the container exited ${code} on SIGTERM:\n${docker('logs', '--tail', '20', CONTAINER)}`);
  });
} catch (err) {
  console.error(run('sh', ['-c', `docker logs --tail 40 ${CONTAINER} 2>&1 || true`]));
  throw err;
} finally {
  run('sh', ['-c', `docker rm -f ${CONTAINER} >/dev/null 2>&1 || true`]);
  await server.stop();
  rmSync(tokens.dir, { recursive: true, force: true });
}
