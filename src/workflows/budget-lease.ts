import { condition, getExternalWorkflowHandle, log, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import {
  accountBudgetWorkflowId,
  accountOfNamespace,
  budgetSignal,
  type BudgetAnswer,
  type BudgetMessage,
} from '../shared/index.js';
import { reasonOf } from './failures.js';

const RETRY = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '15s' } as const;
// Asking only needs Temporal itself: keep trying for as long as it takes (signal-with-start, as a window's claim).
const { tellBudget } = proxyLocalActivities<Activities>({ startToCloseTimeout: '30s', retry: RETRY });

/**
 * A namespace controller's side of its account's budget: one lease per Cloud Ops change, asked for before the
 * change and released after its verification (or failure).
 */
export class BudgetLeases {
  private readonly account: string;
  private readonly budgetId: string;
  private pending: string | null = null;
  private answer: BudgetAnswer | null = null;

  constructor(
    namespace: string,
    private readonly limit: number,
    private readonly leaseMs: number,
  ) {
    this.account = accountOfNamespace(namespace);
    this.budgetId = accountBudgetWorkflowId(this.account, workflowInfo().taskQueue);
  }

  /** An answer from the budget: for the pending request, or a stale grant that is handed back at once. */
  hear(answer: BudgetAnswer): void {
    if (answer.requestId === this.pending) {
      if (!this.answer?.granted) this.answer = answer;
      return;
    }
    if (answer.granted) void this.release(answer.requestId);
  }

  /** Waits for a lease; `queued` runs once if the budget says the request waits behind others. */
  async acquire(requestId: string, queued: (answer: BudgetAnswer) => void): Promise<void> {
    this.pending = requestId;
    this.answer = null;
    await this.tell({
      kind: 'request',
      holder: workflowInfo().workflowId,
      requestId,
      leaseMs: this.leaseMs,
      limit: this.limit,
    });
    await condition(() => this.answer !== null);
    if (!this.answer!.granted) {
      queued(this.answer!);
      await condition(() => this.answer!.granted);
    }
  }

  /** Hands the lease back; a budget that cannot be told lets the lease end by itself. */
  async release(requestId: string): Promise<void> {
    if (requestId === this.pending) this.pending = null;
    try {
      await getExternalWorkflowHandle(this.budgetId).signal(budgetSignal, { kind: 'release', requestId });
    } catch (err) {
      log.warn('the Cloud Ops budget could not be told of a release; the lease ends by itself', {
        requestId,
        reason: reasonOf(err),
      });
    }
  }

  private tell(message: BudgetMessage): Promise<void> {
    return tellBudget({ account: this.account, budgetWorkflowId: this.budgetId, message });
  }
}
