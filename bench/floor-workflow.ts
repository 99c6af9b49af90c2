// The SDK's own floor for bench/window-memory.ts: a workflow that only sleeps, as a window does until its start,
// with none of our code in its bundle.
import { sleep } from '@temporalio/workflow';

export async function sleeper(): Promise<void> {
  await sleep('1h');
}
