import {
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  budgetAnswerSignal,
  budgetSignal,
  budgetStateQuery,
  type BudgetAnswer,
  type BudgetInput,
  type BudgetMessage,
  type BudgetState,
} from '../shared/index.js';
import { emptyBudget, expireLeases, grant, nextLeaseEnd, queuedAnswer, takeBudgetMessage } from './decisions/budget.js';
import { reasonOf } from './failures.js';

/** History events after which the budget continues as new. */
const HISTORY_LIMIT = 2_000;

/**
 * An account's budget of concurrent Cloud Ops operations, a semaphore in Temporal: namespace controllers ask for
 * a lease, hear it granted (or queued), and release it after their change; a lease ends by itself if its holder
 * died. One per account, so it holds across every worker and process. This function's name is a workflow type:
 * never rename it; version it.
 */
export async function cloudOpsBudgetWorkflow(input: BudgetInput): Promise<void> {
  const budget = new AccountBudget(input.state);
  setHandler(budgetSignal, (message) => budget.receive(message));
  setHandler(budgetStateQuery, () => budget.state);

  for (;;) {
    budget.takeMessages();
    await budget.answer();
    if (budget.hasMail || budget.canGrant) continue;
    if (budget.idle) return;
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > HISTORY_LIMIT) {
      await continueAsNew<typeof cloudOpsBudgetWorkflow>({ account: input.account, state: budget.state });
    }
    await budget.sleep();
  }
}

class AccountBudget {
  readonly state: BudgetState;
  private readonly inbox: BudgetMessage[] = [];
  /** Requests heard since the last answers: each is told at once whether it waits. */
  private heard: string[] = [];

  constructor(state: BudgetState | undefined) {
    this.state = state ?? emptyBudget(1);
  }

  receive(message: BudgetMessage): void {
    this.inbox.push(message);
  }

  get hasMail(): boolean {
    return this.inbox.length > 0;
  }

  /** Room and a queue: a holder that could not be told freed its lease. */
  get canGrant(): boolean {
    return this.state.waiters.length > 0 && this.state.leases.length < this.state.limit;
  }

  get idle(): boolean {
    return this.state.leases.length === 0 && this.state.waiters.length === 0;
  }

  takeMessages(): void {
    const now = Date.now();
    for (const requestId of expireLeases(this.state, now)) {
      log.warn('a Cloud Ops budget lease ended without its release', { requestId });
    }
    for (const message of this.inbox.splice(0)) {
      takeBudgetMessage(this.state, message, now);
      if (message.kind === 'request') this.heard.push(message.requestId);
    }
  }

  /** Grants what fits; tells every new request still queued that it waits, and behind how many. */
  async answer(): Promise<void> {
    const granted = grant(this.state, Date.now());
    const queued = this.heard
      .map((id) => ({ id, answer: queuedAnswer(this.state, id) }))
      .flatMap(({ answer }) => {
        const holder = answer && this.state.waiters.find((w) => w.requestId === answer.requestId)?.holder;
        return answer && holder ? [{ holder, answer }] : [];
      });
    this.heard = [];
    await Promise.all([...granted, ...queued].map(({ holder, answer }) => this.tell(holder, answer)));
  }

  /** Until a message, or until the first lease ends by itself. */
  async sleep(): Promise<void> {
    const end = nextLeaseEnd(this.state);
    await condition(() => this.hasMail, end === undefined ? undefined : Math.max(1, end - Date.now()));
  }

  /** A holder that cannot be told is gone: its lease or place is dropped. */
  private async tell(holder: string, answer: BudgetAnswer): Promise<void> {
    try {
      await getExternalWorkflowHandle(holder).signal(budgetAnswerSignal, answer);
    } catch (err) {
      log.warn('a Cloud Ops budget holder could not be told; dropping it', { holder, reason: reasonOf(err) });
      takeBudgetMessage(this.state, { kind: 'release', requestId: answer.requestId }, Date.now());
    }
  }
}
