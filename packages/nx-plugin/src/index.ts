export { createNodes, createNodesV2 } from './plugin/create-nodes';
