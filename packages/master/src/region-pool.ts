/** One reused gRPC connection per region address, for the statements the master sends. */
import { RegionTransport, type QueryResult } from '@minisql/client';

/** Time a region may take for one schema change, in milliseconds. */
export const REGION_CALL_TIMEOUT_MS = 10_000;

export class RegionPool {
  private readonly transports = new Map<string, RegionTransport>();

  run(address: string, sql: string): Promise<QueryResult> {
    let transport = this.transports.get(address);
    if (!transport) {
      transport = new RegionTransport(address);
      this.transports.set(address, transport);
    }
    return transport.run(sql, { timeoutMs: REGION_CALL_TIMEOUT_MS });
  }

  close(): void {
    for (const transport of this.transports.values()) transport.close();
    this.transports.clear();
  }
}
