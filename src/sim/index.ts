// The provider simulator: OpenAI and Anthropic wire formats, latency, prompt caching and faults.
export { startSimulator, type SimulatorOptions, type SimulatorHandle } from './server.js';
export type { SimModelSettings, SimModelInfo } from './settings.js';
export { defaultModels } from './settings.js';
export { parseFaults, formatFaults, FAULT_KINDS, type FaultRule, type FaultKind } from './faults.js';
