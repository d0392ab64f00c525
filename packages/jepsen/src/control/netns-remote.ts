/**
 * A host of the one-machine test cluster: a network namespace made by scripts/hosts.sh.
 * Commands run in `ip netns exec <namespace> sh -c`, as root, with the host's own network
 * (its address, its firewall, its qdiscs) and this machine's filesystem, processes and
 * clock, so uploads and downloads are plain copies.
 */
import { LocalRemote } from './local-remote.js';

export interface NetnsRemoteOptions {
  /** The node's name in the test, e.g. host0. */
  node: string;
  /** The network namespace, e.g. mjh-host0. */
  namespace: string;
  /** The host's address on the bridge, e.g. 10.77.0.10. */
  address: string;
}

export class NetnsRemote extends LocalRemote {
  readonly namespace: string;

  constructor(options: NetnsRemoteOptions) {
    if (!/^[A-Za-z0-9_.-]+$/.test(options.namespace)) throw new TypeError(`invalid network namespace name ${JSON.stringify(options.namespace)}`);
    super({ node: options.node, address: options.address, launcher: ['ip', 'netns', 'exec', options.namespace] });
    this.namespace = options.namespace;
  }
}
