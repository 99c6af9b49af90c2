// Sandbox-safe contracts of an account's Cloud Ops budget: the one workflow per account that lets at most N async
// operations run at once across every namespace controller, worker and process of the deployment.
import { defineQuery, defineSignal } from '@temporalio/workflow';

export const ACCOUNT_BUDGET_WORKFLOW = 'cloudOpsBudgetWorkflow';

/** The account of a Cloud namespace id `<name>.<account>`. */
export function accountOfNamespace(namespace: string): string {
  return namespace.slice(namespace.lastIndexOf('.') + 1);
}

/**
 * One budget per account and deployment (its task queue): the budget must run where this deployment's workers
 * poll. Deployments that share one Cloud account each get the whole limit.
 */
export function accountBudgetWorkflowId(account: string, taskQueue: string): string {
  return `cloud-ops-budget-${account}@${taskQueue}`;
}

export type BudgetMessage =
  /**
   * A holder (a namespace controller) asks for one operation; answered by `budgetAnswerSignal`. The lease ends by
   * itself after `leaseMs`, so that a holder that died never keeps the budget. `limit` is the deployment's
   * CLOUD_OPS_MAX_CONCURRENT_OPERATIONS: the latest request's value counts.
   */
  | { kind: 'request'; holder: string; requestId: string; leaseMs: number; limit: number }
  /** The holder's operation is over (verified or failed). */
  | { kind: 'release'; requestId: string };

/** The budget's answer to a request: granted, or queued behind others. */
export interface BudgetAnswer {
  requestId: string;
  granted: boolean;
  /** Operations in flight for the account when answered, and the limit. */
  inFlight: number;
  limit: number;
  /** Requests before this one in the queue (0 when granted). */
  ahead: number;
}

export interface BudgetLease {
  holder: string;
  requestId: string;
  /** Epoch ms after which the lease no longer counts. */
  until: number;
}

export interface BudgetWaiter {
  holder: string;
  requestId: string;
  leaseMs: number;
  since: number;
}

export interface BudgetState {
  limit: number;
  leases: BudgetLease[];
  waiters: BudgetWaiter[];
}

export interface BudgetInput {
  account: string;
  /** Carried through continue-as-new. */
  state?: BudgetState;
}

export const budgetSignal = defineSignal<[BudgetMessage]>('budgetMessage');
export const budgetAnswerSignal = defineSignal<[BudgetAnswer]>('budgetAnswer');
export const budgetStateQuery = defineQuery<BudgetState>('budgetState');
