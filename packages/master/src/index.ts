export * from './cluster-planner.js';
export * from './cluster-view.js';
export * from './master-options.js';
export * from './master-server.js';
export * from './metadata-store.js';
export * from './view-cache.js';
