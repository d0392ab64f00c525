/**
 * The Jepsen client of the built-in workloads over any StoreConnection: register reads,
 * writes and CAS, set adds and reads, mutex acquire and release. Reads that fail are
 * recorded as fail whatever the cause, because a read changes nothing (Jepsen's etcd
 * client does the same); writes whose outcome is unknown are info.
 */
import type { Client } from '../db/database.js';
import type { Op, OpValue } from '@minisql/checker';
import { DefiniteFailure, type StoreConnection } from '../db/store-connection.js';
import type { TestContext } from '../test-context.js';

/** The key of the seed's single register. */
export const SINGLE_KEY = 'foo';

export type Connect = (test: TestContext, node: string) => Promise<StoreConnection>;

export class WorkloadClient implements Client {
  private connection: StoreConnection | undefined;
  private node: string | undefined;

  constructor(private readonly connect: Connect) {}

  /** Connects to `node`; when that fails, the next op tries again (see invoke). */
  async open(test: TestContext, node: string): Promise<void> {
    this.node = node;
    this.connection = undefined;
    this.connection = await this.connect(test, node);
  }

  async invoke(test: TestContext, op: Op): Promise<Op> {
    let connection = this.connection;
    if (!connection) {
      // The last (re)open failed: the node was down or cut off. Try again now, as
      // Jepsen's client worker does; until it works, every op fails without being tried.
      if (this.node === undefined) return { ...op, type: 'fail', error: 'not-connected' };
      try {
        connection = this.connection = await this.connect(test, this.node);
      } catch (error) {
        return { ...op, type: 'fail', error: `not-connected: ${error instanceof Error ? error.message : String(error)}` };
      }
    }
    const key = op.key === undefined ? SINGLE_KEY : String(op.key);
    const node = this.node === undefined ? {} : { node: this.node };
    const readOnly = op.f === 'read';
    try {
      const value = await this.apply(connection, key, op);
      if (value === false) return { ...op, ...node, type: 'fail' };
      return { ...op, ...node, type: 'ok', value };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const type = readOnly || error instanceof DefiniteFailure ? 'fail' : 'info';
      return { ...op, ...node, type, error: reason };
    }
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    await connection?.close();
  }

  /** The completion's value, or false for an op that certainly did not happen. */
  private async apply(connection: StoreConnection, key: string, op: Op): Promise<OpValue | false> {
    switch (op.f) {
      case 'read':
        return await connection.read(key);
      case 'write':
        await connection.write(key, op.value as number);
        return op.value;
      case 'cas': {
        const [expected, next] = op.value as [number, number];
        return (await connection.cas(key, expected, next)) ? op.value : false;
      }
      case 'add':
        await required(connection.add, 'add').call(connection, op.value as number);
        return op.value;
      case 'read-set': {
        const elements = await required(connection.readSet, 'readSet').call(connection);
        return [...elements].sort((a, b) => a - b);
      }
      case 'acquire':
        return (await required(connection.acquire, 'acquire').call(connection, String(op.process))) ? null : false;
      case 'release':
        return (await required(connection.release, 'release').call(connection, String(op.process))) ? null : false;
      default:
        throw new DefiniteFailure(`UNKNOWN_OP: the workload client has no operation ${op.f}`);
    }
  }
}

function required<T>(method: T | undefined, name: string): T {
  if (method === undefined) throw new DefiniteFailure(`UNSUPPORTED_OP: this database's connection has no ${name}`);
  return method;
}
