import { upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { SA } from '../shared/search-attributes.js';
import type { WindowProgress } from '../shared/window.js';

export interface PublishedTimes {
  startMs: number;
  endMs: number | null;
}

/**
 * Writes a window's progress to its memo, and its phase and times to its search attributes, for status reads and
 * listings without a worker. Each write is a history event and a visibility write, the server's largest cost per
 * window (bench/README.md, "Workflow revision 2"): so the memo is written once per workflow task however many steps
 * it records, and the search attributes only when the phase or the times changed.
 */
export class ProgressPublisher {
  private queued = false;
  private handedOver = false;
  private published: { phase: string; startMs: number | null; endMs: number | null };

  /** `flowWritesNext`: the main flow goes on in this workflow task and writes then; a queued write is left to it. */
  constructor(
    private readonly progress: WindowProgress,
    private readonly times: () => PublishedTimes,
    private readonly flowWritesNext: () => boolean,
  ) {
    // What the starter (the API, or a schedule) set is already there.
    const set = workflowInfo().typedSearchAttributes;
    this.published = {
      phase: set.get(SA.phase) ?? '',
      startMs: set.get(SA.startAt)?.getTime() ?? null,
      endMs: set.get(SA.endAt)?.getTime() ?? null,
    };
  }

  /** Writes before this workflow task completes (a microtask runs before it does), once for all calls until then. */
  publish(): void {
    if (this.queued) return;
    this.queued = true;
    void Promise.resolve().then(() => {
      const handedOver = this.handedOver;
      this.handedOver = false;
      if (!this.queued) return;
      if (handedOver || this.flowWritesNext()) this.queued = false;
      else this.flush();
    });
  }

  /**
   * The flow ends a step and its next step writes (or finishes) in this same workflow task: a queued write is left to
   * it, so that both take one write, after the next step's command.
   */
  handOver(): void {
    if (this.queued) this.handedOver = true;
  }

  /** Writes now: nothing may follow the workflow's completion. */
  flush(): void {
    this.queued = false;
    upsertMemo({ progress: this.progress });
    const { startMs, endMs } = this.times();
    const { phase } = this.progress;
    if (this.published.phase === phase && this.published.startMs === startMs && this.published.endMs === endMs) return;
    upsertSearchAttributes([
      { key: SA.phase, value: phase },
      { key: SA.startAt, value: new Date(startMs) },
      ...(endMs === null ? [] : [{ key: SA.endAt, value: new Date(endMs) }]),
    ]);
    this.published = { phase, startMs, endMs };
  }
}
