import { continueAsNew, makeContinueAsNewFunc, setHandler, workflowInfo } from '@temporalio/workflow';
import { budgetAnswerSignal, controllerSignal, controllerStateQuery, type ControllerInput } from '../shared/index.js';
import { NamespaceController } from './controller-state.js';

/**
 * The one writer of a namespace's capacity: takes the windows' claims and releases, brings the namespace to what
 * they ask (one verified change at a time), reports to each window, and sleeps until a message, a retry or a
 * claim's expiry. This function's name is a workflow type: never rename it; version it.
 */
export async function namespaceCapacityWorkflow(input: ControllerInput): Promise<void> {
  const controller = new NamespaceController(input);
  setHandler(controllerSignal, (message) => controller.receive(message));
  setHandler(controllerStateQuery, () => controller.state);
  setHandler(budgetAnswerSignal, (answer) => controller.budget.hear(answer));

  for (;;) {
    controller.takeMessages();
    const next = await controller.evaluate();
    if (next.kind === 'again') continue;
    const info = workflowInfo();
    const longHistory = info.continueAsNewSuggested || info.historyLength > input.policy.controllerHistoryLimit;
    if (!controller.hasMail && (controller.idle || longHistory)) {
      // Every report must have left before this run ends.
      await controller.reportsSent();
      if (controller.hasMail) continue;
      if (controller.idle) return;
      const { namespace, policy } = input;
      const next = { namespace, policy, state: controller.state };
      // The latest drift stays readable by the namespace view in the next run.
      const memo = info.memo;
      if (memo?.drift) await makeContinueAsNewFunc<typeof namespaceCapacityWorkflow>({ memo })(next);
      await continueAsNew<typeof namespaceCapacityWorkflow>(next);
    }
    await controller.sleep(next);
  }
}
