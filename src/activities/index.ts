import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import proto from '@temporalio/proto';
import { CapacityRuleError, DriftError, type CapacityService } from '../cloud-ops/capacity.js';
import { CloudOpsError } from '../cloud-ops/errors.js';
import type { DriftRead } from '../workflows/decisions/drift.js';
import { checkGuardrails, type Guardrails } from '../guardrails.js';
import type { Metrics } from '../metrics.js';
import type { Notifier } from '../notify/slack.js';
import {
  ACCOUNT_BUDGET_WORKFLOW,
  budgetSignal,
  type BudgetInput,
  waitRefusalOf,
  type BudgetMessage,
  FailureType,
  NAMESPACE_CONTROLLER_WORKFLOW,
  SA,
  controllerSignal,
  controllerWorkflowId,
  type CapacityTarget,
  type CloudOpsRead,
  type CloudOpsReadFailure,
  type ControllerInput,
  type ControllerMessage,
  type DriftPolicy,
  type WindowPolicy,
  type AlertInput,
  type ApplyCapacityInput,
  type ValidateCapacityInput,
  type ValidateCapacityResult,
  type ApplyCapacityResult,
  type VerifyCapacityInput,
  type VerifyCapacityResult,
} from '../shared/index.js';

export interface ActivityDeps {
  capacity: CapacityService;
  notifier: Notifier;
  guardrails: Guardrails;
  /** Optional: counts verification outcomes, change attempts and revert retries. */
  metrics?: Metrics;
}

/** A bounded label for why an activity attempt failed: the failure type, a CloudOps kind, or a catch-all. */
function failureLabel(err: unknown): string {
  if (err instanceof CapacityRuleError) return err.type;
  if (err instanceof CloudOpsError) return `CloudOps${err.kind}`;
  if (err instanceof ApplicationFailure) return err.type ?? 'ApplicationFailure';
  if (err instanceof CancelledFailure) return 'Cancelled';
  return 'Other';
}

/** Turns a Cloud Ops or rule failure into the ApplicationFailure the workflow's retry policy decides on. */
function toFailure(err: unknown): never {
  // The controller decides on drift from what the apply read: it travels with the failure.
  if (err instanceof DriftError)
    throw ApplicationFailure.create({ message: err.message, type: err.type, nonRetryable: true, details: [err.read] });
  if (err instanceof CapacityRuleError) throw ApplicationFailure.nonRetryable(err.message, err.type);
  if (err instanceof CloudOpsError) {
    if (err.retryable) throw ApplicationFailure.retryable(err.message, `CloudOps${err.kind}`);
    // The server's message travels as the failure's message: the window's step, its alert and the log show it.
    throw ApplicationFailure.create({
      message: err.message,
      type: FailureType.NonRetryable,
      nonRetryable: true,
      details: [{ kind: err.kind, grpcCode: err.grpcCode }],
    });
  }
  throw err;
}

const { GetCurrentIdentityResponse } = proto.temporal.api.cloud.cloudservice.v1;

/** Below the verification's heartbeat timeout (10 s). */
const HEARTBEAT_EVERY_MS = 2_000;

/** A change to On-Demand is a window's revert; anything else applies capacity. */
const changeOf = (input: { target: { mode: string } }) => (input.target.mode === 'ON_DEMAND' ? 'revert' : 'apply');

/** Drift detection's read of a namespace and its alert. */
function driftActivities(deps: ActivityDeps) {
  return {
    /** The namespace as drift detection reads it (one GetNamespace); unlike readBaseline, a request under way is no wait. */
    async readNamespace(input: { namespace: string }): Promise<DriftRead> {
      try {
        return await deps.capacity.readNamespace(input.namespace);
      } catch (err) {
        toFailure(err);
      }
    },

    /** A controller found its namespace changed by hand: counted, and one WARNING names the windows it affects. */
    async alertDrift(input: { alert: AlertInput; policy: DriftPolicy }): Promise<boolean> {
      deps.metrics?.driftDetected.inc({ namespace: input.alert.namespace, policy: input.policy });
      return deps.notifier.notify(input.alert);
    },
  };
}

/** Every side effect a workflow asks for, grouped by concern; the names are activity types in histories. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...driftActivities(deps),
    ...changeActivities(deps),
    ...messageActivities(),
    ...verificationActivities(deps),
    ...readActivities(deps),
    ...alertActivities(deps),
  };
}

/** Before and during a capacity change: its checks, the namespace's baseline, the change itself. */
function changeActivities(deps: ActivityDeps) {
  return {
    /**
     * Checks guardrails and the TRU value against capacity info. A request in progress is no reason to wait
     * here: the namespace's controller orders the changes.
     */
    async validateCapacity(input: ValidateCapacityInput): Promise<ValidateCapacityResult> {
      // Config may have changed since the request (and a schedule runs long after it was made): check again.
      const violation = checkGuardrails(deps.guardrails, input);
      if (violation)
        throw ApplicationFailure.nonRetryable(`${violation.code}: ${violation.message}`, FailureType.Guardrail);
      try {
        const view = await deps.capacity.readCapacity(input.namespace);
        const check = deps.capacity.checkTrus(view, input.trus);
        if (!check.ok) throw ApplicationFailure.nonRetryable(check.message, FailureType.InvalidTruValue);
        return { current: view.current };
      } catch (err) {
        if (err instanceof ApplicationFailure) throw err;
        toFailure(err);
      }
    },

    /**
     * What the namespace has before its controller changes anything; someone else's request in progress is waited
     * out by retries. `requested` is what the spec asks for: something else than `current` after a change that
     * never showed up.
     */
    async readBaseline(input: {
      namespace: string;
    }): Promise<{ current: CapacityTarget; requested: CapacityTarget | null }> {
      try {
        const view = await deps.capacity.readCapacity(input.namespace);
        if (view.latestRequest?.state === 'IN_PROGRESS') {
          throw ApplicationFailure.retryable('a capacity request is in progress on the namespace', 'RequestInProgress');
        }
        return { current: view.current, requested: view.requested ?? null };
      } catch (err) {
        if (err instanceof ApplicationFailure) throw err;
        toFailure(err);
      }
    },

    async applyCapacity(input: ApplyCapacityInput): Promise<ApplyCapacityResult> {
      const change = changeOf(input);
      if (change === 'revert' && Context.current().info.attempt > 1) deps.metrics?.revertRetries.inc();
      try {
        const asyncOperationId = await deps.capacity.setCapacity(
          input.namespace,
          input.target,
          input.asyncOperationId,
          input.expected,
        );
        deps.metrics?.capacityChanges.inc({ change, outcome: asyncOperationId === null ? 'nothing_to_change' : 'ok' });
        return { asyncOperationId };
      } catch (err) {
        deps.metrics?.capacityChanges.inc({ change, outcome: failureLabel(err) });
        // A cool-down is waited out by the controller, which says until when; blind retries would hide it.
        if (err instanceof CloudOpsError && waitRefusalOf(err.message, Date.now()))
          throw ApplicationFailure.nonRetryable(err.message, FailureType.MustWait);
        toFailure(err);
      }
    },
  };
}

/** Messages to the long-lived workflows that order the changes: a namespace's controller, an account's budget. */
function messageActivities() {
  return {
    /** Delivers a window's claim or release to its namespace's controller, starting the controller if none runs. */
    async tellController(input: {
      namespace: string;
      policy: WindowPolicy;
      message: ControllerMessage;
    }): Promise<void> {
      const { client, info } = Context.current();
      await client.workflow.signalWithStart(NAMESPACE_CONTROLLER_WORKFLOW, {
        workflowId: controllerWorkflowId(input.namespace),
        taskQueue: info.taskQueue,
        args: [{ namespace: input.namespace, policy: input.policy } satisfies ControllerInput],
        signal: controllerSignal,
        signalArgs: [input.message],
        typedSearchAttributes: [{ key: SA.namespace, value: input.namespace }],
      });
    },

    /** Delivers a controller's request or release to its account's Cloud Ops budget, starting it if none runs. */
    async tellBudget(input: { account: string; budgetWorkflowId: string; message: BudgetMessage }): Promise<void> {
      const { client, info } = Context.current();
      await client.workflow.signalWithStart(ACCOUNT_BUDGET_WORKFLOW, {
        workflowId: input.budgetWorkflowId,
        taskQueue: info.taskQueue,
        args: [{ account: input.account } satisfies BudgetInput],
        signal: budgetSignal,
        signalArgs: [input.message],
      });
    },
  };
}

/** Watching an applied change until Cloud Ops shows it, heartbeating while it waits. */
function verificationActivities(deps: ActivityDeps) {
  const heartbeat = (what: string) => Context.current().heartbeat(what);
  return {
    async verifyCapacity(input: VerifyCapacityInput): Promise<VerifyCapacityResult> {
      const context = Context.current();
      // The API may ask for 10 s or more between looks: the heartbeat goes on while it waits.
      const beating = setInterval(() => context.heartbeat('waiting for the checkDuration'), HEARTBEAT_EVERY_MS);
      try {
        const { changedAt, ...observed } = await deps.capacity.verify(
          input.namespace,
          input.target,
          input.asyncOperationId,
          { deadline: context.info.scheduledTimestampMs + input.timeoutMs, onPoll: heartbeat },
        );
        deps.metrics?.verifications.inc({ change: changeOf(input), outcome: 'verified', reason: '' });
        return { observed, changedAt };
      } catch (err) {
        deps.metrics?.verifications.inc({ change: changeOf(input), outcome: 'failed', reason: failureLabel(err) });
        toFailure(err);
      } finally {
        clearInterval(beating);
      }
    },
  };
}

/** The API's Cloud Ops reads, run by a worker: they count against the account's budget with the windows' calls. */
function readActivities(deps: ActivityDeps) {
  return {
    /** One of the API's reads (a namespace's capacity, a create's TRU options, the preflight's identity). */
    async readCloudOps(read: CloudOpsRead): Promise<unknown> {
      try {
        switch (read.kind) {
          case 'capacity':
            return await deps.capacity.readCapacity(read.namespace);
          case 'truOptions':
            return await deps.capacity.readTruOptions(read.namespace);
          case 'identity':
            // Plain data: a decoded message turns its enums into names in JSON, and the API compares numbers.
            return GetCurrentIdentityResponse.toObject(
              (await deps.capacity.identity()) as proto.temporal.api.cloud.cloudservice.v1.GetCurrentIdentityResponse,
              { longs: String },
            );
        }
      } catch (err) {
        if (!(err instanceof CloudOpsError)) throw err;
        const details: CloudOpsReadFailure = { kind: err.kind, grpcCode: err.grpcCode };
        throw ApplicationFailure.create({ message: err.message, type: `CloudOps${err.kind}`, details: [details] });
      }
    },
  };
}

/** A workflow's alert, delivered to Slack. */
function alertActivities(deps: ActivityDeps) {
  return {
    async notifySlack(alert: AlertInput): Promise<boolean> {
      return deps.notifier.notify(alert);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
