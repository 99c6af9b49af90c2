// Workflow bundle entry: only deterministic, sandboxed code is reachable from here.
export { capacityWindowWorkflow } from './capacity-window.js';
export { namespaceCapacityWorkflow } from './namespace-controller.js';
export { cloudOpsBudgetWorkflow } from './account-budget.js';
export { cloudOpsReadWorkflow } from './cloud-ops-read.js';
