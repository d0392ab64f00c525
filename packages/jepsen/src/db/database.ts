/**
 * The database ports of the tester (Database, Client). They live beside TestContext in
 * test-context.ts, which they and it refer to both ways; this name stays for importers.
 */
export type { Client, Database } from '../test-context.js';
