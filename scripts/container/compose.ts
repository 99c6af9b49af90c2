// Container stage "compose": brings the default docker-compose.yml stack up (our image, built from our
// Dockerfile, and a local stand-in for temporalio/temporal made by scripts/container/engine.sh), checks that only
// the API is published and only on 127.0.0.1, carries one window through that port to a verified revert, and
// tears the stack down. Run by `npm run test:compose` (scripts/container/run.sh).
import { rmSync } from 'node:fs';
import { freePort } from '../../src/local/dev-server.js';
import { carryWindow, checkReverted, makeToken, run, timed } from './helpers.js';

const NAMESPACE = 'batch.a1b2c';
const tokens = makeToken();
const env = {
  ...process.env,
  COMPOSE_PROJECT_NAME: 'capacity-scheduler-ci',
  // The legacy builder, as in the image stage: it reuses that stage's layers (BuildKit keeps a cache of its own).
  DOCKER_BUILDKIT: '0',
  API_TOKENS_FILE_ON_HOST: tokens.file,
  API_PORT: String(await freePort()),
};
const compose = (...args: string[]) => run('docker', ['compose', ...args], { env });

try {
  await timed('the PostgreSQL variant is a valid compose file', () =>
    compose('-f', 'docker-compose.yml', '-f', 'docker-compose.postgres.yml', 'config', '--quiet'),
  );
  await timed('compose stack up, every service healthy', () =>
    compose('up', '-d', '--build', '--wait', '--wait-timeout', '180'),
  );
  const published = compose('ps', '--format', '{{ .Service }} {{ .Ports }}')
    .split('\n')
    .filter((line) => line.includes('->'));
  const api = `127.0.0.1:${env.API_PORT}->8080/tcp`;
  if (published.length !== 1 || published[0] !== `capacity-scheduler ${api}`)
    throw new Error(`expected only the API published, on ${api}; published: ${JSON.stringify(published)}`);

  const baseUrl = `http://127.0.0.1:${env.API_PORT}`;
  const window = await timed('a window carried to a verified revert', () =>
    carryWindow(baseUrl, tokens.token, NAMESPACE),
  );
  checkReverted(compose('ps', '-q', 'capacity-scheduler'), NAMESPACE);
  console.error(`container: window ${window.id} COMPLETED through compose, change and revert verified`);
} catch (err) {
  console.error(run('sh', ['-c', 'docker compose logs --tail 30 2>&1 || true'], { env }));
  throw err;
} finally {
  await timed('compose stack down', () => compose('down', '--volumes', '--remove-orphans', '--timeout', '30'));
  rmSync(tokens.dir, { recursive: true, force: true });
}
