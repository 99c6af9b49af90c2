// Workflows outlive deployments: a window waits for hours or days, and a new worker replays the history its run
// wrote with older code. These are real histories written by our workflows; the workflows of today must replay
// every one without a nondeterminism error, so a change to the commands they send shows up here.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import t from 'tap';
import { workflowBundle } from '../src/worker/index.js';

Runtime.install({ logger: new DefaultLogger('WARN') });

const DIR = path.resolve('test/fixtures/histories');
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

t.test('every recorded history replays with the workflows of today', async (t) => {
  t.ok(files.length >= 4, `${files.length} histories`);
  const bundle = await workflowBundle();
  for (const file of files) {
    const history = historyFromJSON(JSON.parse(readFileSync(path.join(DIR, file), 'utf8')));
    // Under the workflow id it ran with: a window's claims and releases carry it.
    const workflowId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowId ?? undefined;
    t.ok(workflowId, `${file} names its workflow`);
    await t.resolves(
      Worker.runReplayHistory({ workflowBundle: bundle, replayName: file }, history, workflowId),
      `${file} replays`,
    );
  }
});
