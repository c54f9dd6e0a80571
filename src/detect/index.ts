// Custom detections: rules, their validation, the engine that raises alerts, the scheduler.
export * from './rules.js';
export * from './state.js';
export * from './engine.js';
export * from './webhook.js';
export * from './scheduler.js';
