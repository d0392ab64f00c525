/**
 * Unary calls from the master to regions' ReplicationService for a job of several steps
 * (a table move): one stub per address for as long as the job lasts, so the steps on the
 * write pause do not each open a connection (and a TLS handshake). Every call has a
 * deadline; an error in the response is thrown as the catalog error it carries.
 */
import { MiniSqlError, type ReplicationServiceClient } from '@minisql/common';
import { errorFromGrpcStatus } from '@minisql/wire';
import type * as grpc from '@grpc/grpc-js';

export type ReplicationStubFactory = (address: string) => ReplicationServiceClient;

/** The ReplicationService calls a job makes (unary ones). */
export type UnaryRpc = 'SnapshotTable' | 'ReadLog' | 'HoldTable' | 'ReleaseTable' | 'FetchTable' | 'ApplyTableEntries' | 'Handover';

type Unary<Request, Response> = (
  request: Request,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response?: Response) => void,
) => unknown;

export class RegionCalls {
  private readonly stubs = new Map<string, ReplicationServiceClient>();

  constructor(private readonly open: ReplicationStubFactory) {}

  /** Calls `rpc` on the region at `address`; resolves with the response, throws its error. */
  async call<Request, Response extends { error?: { code?: string } | null }>(
    address: string,
    rpc: UnaryRpc,
    request: Request,
    timeoutMs: number,
  ): Promise<Response> {
    let stub = this.stubs.get(address);
    if (!stub) {
      stub = this.open(address);
      this.stubs.set(address, stub);
    }
    const method = (stub[rpc] as unknown as Unary<Request, Response>).bind(stub);
    return await new Promise<Response>((resolve, reject) => {
      method(request, { deadline: Date.now() + timeoutMs }, (error, response) => {
        if (error) reject(errorFromGrpcStatus(error, address, timeoutMs));
        else if (response?.error?.code) reject(MiniSqlError.fromProto(response.error as never));
        else resolve(response as Response);
      });
    });
  }

  close(): void {
    for (const stub of this.stubs.values()) stub.close();
    this.stubs.clear();
  }
}
