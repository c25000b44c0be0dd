export { buildGradientGraph, type GradientGraphOptions } from './build-gradient-graph.ts';
export { GradientEmitter } from './gradient-emitter.ts';
export { GradientError } from './gradient-error.ts';
export { createGradientRegistry, type GradientRegistry } from './gradient-registry.ts';
export { outputGradOf, type GradientContext, type GradientRule } from './gradient-rule.ts';
