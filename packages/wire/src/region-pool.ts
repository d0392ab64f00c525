/** One reused gRPC connection per region address: for the cluster client and the master. */
import type { Login, TlsIdentity } from '@minisql/common';
import { RegionTransport } from './region-transport.js';

export class RegionPool {
  private readonly transports = new Map<string, RegionTransport>();

  /** `tls`: the certificate every connection presents; plaintext without one. */
  constructor(
    private readonly tls?: TlsIdentity,
    private readonly login?: Login,
  ) {}

  /** The connection to `address`, made on first use. */
  get(address: string): RegionTransport {
    let transport = this.transports.get(address);
    if (!transport) {
      transport = new RegionTransport(address, this.tls, this.login);
      this.transports.set(address, transport);
    }
    return transport;
  }

  /** Closes the connection to a region that went away: a new one is made on next use. */
  drop(address: string): void {
    this.transports.get(address)?.close();
    this.transports.delete(address);
  }

  close(): void {
    for (const transport of this.transports.values()) transport.close();
    this.transports.clear();
  }
}
