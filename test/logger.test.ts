// Logs are read by people on a terminal and by machines everywhere else: pretty lines (pino-pretty as pino's
// transport) when stdout is a TTY, JSON lines otherwise; secrets are redacted in both.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import t from 'tap';

const logger = fileURLToPath(new URL('../src/logger.ts', import.meta.url));
const program = `
  import { createLogger } from ${JSON.stringify(logger)};
  const logger = createLogger({ level: 'info', secrets: ['s3cr3t-value'] });
  logger.info({ apiKey: 'k3y-value', namespace: 'payments.a1b2c' }, 'calling with s3cr3t-value inside');
`;
const node = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', program];

t.test('stdout not a terminal: one JSON line, secrets redacted', async (t) => {
  const run = spawnSync(node[0], node.slice(1), { encoding: 'utf8' });
  t.equal(run.status, 0, run.stderr);
  const line = JSON.parse(run.stdout.trim()) as Record<string, unknown>;
  t.match(line, {
    level: 30,
    msg: 'calling with [REDACTED] inside',
    apiKey: '[REDACTED]',
    namespace: 'payments.a1b2c',
  });
});

t.test('stdout a terminal: human-readable lines, secrets redacted', async (t) => {
  // util-linux `script` gives the child a pseudo-terminal as stdout.
  const quoted = node.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const run = spawnSync('script', ['-qec', quoted, '/dev/null'], { encoding: 'utf8' });
  t.equal(run.status, 0, run.stderr);
  const text = stripVTControlCharacters(run.stdout);
  t.notMatch(text, /^\{/m, 'no JSON line');
  t.match(text, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: calling with \[REDACTED\] inside/m, 'time, level and message');
  t.match(text, /apiKey: "\[REDACTED\]"/, 'fields on their own lines, redacted');
  t.notMatch(text, /s3cr3t-value|k3y-value/, 'no secret anywhere');
});
