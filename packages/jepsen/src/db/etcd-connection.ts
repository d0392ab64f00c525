/**
 * One worker's connection to one etcd member, through the etcd3 package. Its fault
 * handling is switched off: etcd3 retries a failed call three times by default, and a
 * CAS that took effect but whose answer was lost would then be retried, fail, and be
 * reported as not having happened. Every call has a deadline instead.
 */
import { noop } from 'cockatiel';
import { Etcd3 } from 'etcd3';
import type { StoreConnection } from './store-connection.js';

const REGISTER_PREFIX = 'jepsen/register/';
const SET_PREFIX = 'jepsen/set/';
const LOCK_KEY = 'jepsen/lock';
/** Deadline of one etcd call; the runner's op timeout is the outer bound. */
export const ETCD_CALL_TIMEOUT_MS_DEFAULT = 5_000;

/** An etcd3 client of one member, with no retries and a deadline on every call. */
export function etcdClient(url: string, callTimeoutMs = ETCD_CALL_TIMEOUT_MS_DEFAULT): Etcd3 {
  return new Etcd3({
    hosts: url,
    dialTimeout: callTimeoutMs,
    faultHandling: { host: () => noop, global: noop },
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + callTimeoutMs }),
  });
}

export class EtcdConnection implements StoreConnection {
  private readonly client: Etcd3;

  constructor(url: string, callTimeoutMs = ETCD_CALL_TIMEOUT_MS_DEFAULT) {
    this.client = etcdClient(url, callTimeoutMs);
  }

  async read(key: string): Promise<number | null> {
    // etcd3's get is linearizable unless asked to be serializable.
    const value = await this.client.get(REGISTER_PREFIX + key).string();
    return value === null ? null : Number(value);
  }

  async write(key: string, value: number): Promise<void> {
    await this.client.put(REGISTER_PREFIX + key).value(String(value));
  }

  async cas(key: string, expected: number, next: number): Promise<boolean> {
    const path = REGISTER_PREFIX + key;
    const result = await this.client
      .if(path, 'Value', '==', String(expected))
      .then(this.client.put(path).value(String(next)))
      .commit();
    return result.succeeded;
  }

  async add(element: number): Promise<void> {
    await this.client.put(SET_PREFIX + String(element)).value('1');
  }

  async readSet(): Promise<number[]> {
    const keys = await this.client.getAll().prefix(SET_PREFIX).keys();
    return keys.map((key) => Number(key.slice(SET_PREFIX.length)));
  }

  async acquire(owner: string): Promise<boolean> {
    const result = await this.client.if(LOCK_KEY, 'Create', '==', 0).then(this.client.put(LOCK_KEY).value(owner)).commit();
    return result.succeeded;
  }

  async release(owner: string): Promise<boolean> {
    const result = await this.client.if(LOCK_KEY, 'Value', '==', owner).then(this.client.delete().key(LOCK_KEY)).commit();
    return result.succeeded;
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
