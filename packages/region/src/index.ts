export * from './region-options.js';
export * from './region-server.js';
export * from './sql-engine.js';
export * from './table-catalog.js';
export * from './table-file.js';
export * from './lease-clock.js';
export * from './region-registration.js';
