export { createNodes, createNodesV2 } from './plugin/create-nodes';
export { postTasksExecution } from './plugin/run-summary';
