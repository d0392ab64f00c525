export * from './op.js';
export * from './remote.js';
export * from './database.js';
export * from './nemesis.js';
export * from './test-context.js';
