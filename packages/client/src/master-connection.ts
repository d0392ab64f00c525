/**
 * Calls to the master. Several master addresses may be given (one active, the others on
 * standby): a call goes to the master that answered last, and on NOT_LEADER or an
 * unreachable master moves on to the next, until every address has been tried.
 */
import * as grpc from '@grpc/grpc-js';
import {
  errors,
  MiniSqlError,
  type ClusterStatusResponse__Output,
  type DdlResponse__Output,
  type GetRouteResponse__Output,
  type MasterServiceClient,
  type ProtoError__Output,
  type ResultSet__Output,
  type Route__Output,
  type Login,
  type TlsIdentity,
} from '@minisql/common';
import { errorFromGrpcStatus, masterStub } from '@minisql/wire';

/** Time one call to a master may take, in milliseconds. */
export const MASTER_CALL_TIMEOUT_MS = 15_000;
/**
 * How long to keep trying while masters are on standby or unreachable after having
 * answered before: an election after a master died takes up to the lease TTL.
 */
export const MASTER_FAILOVER_WAIT_MS = 10_000;
const MASTER_RETRY_INTERVAL_MS = 100;

type Call<T> = (stub: MasterServiceClient, deadline: grpc.Deadline, callback: (error: grpc.ServiceError | null, response?: T) => void) => void;

export class MasterConnection {
  private readonly stubs: MasterServiceClient[];
  /** Index of the master that answered last: tried first next time. */
  private current = 0;
  /** True once any master has answered: later outages are waited out, a wrong address is not. */
  private answeredOnce = false;

  constructor(
    readonly addresses: readonly string[],
    private readonly failoverWaitMs = MASTER_FAILOVER_WAIT_MS,
    tls?: TlsIdentity,
    login?: Login,
  ) {
    if (addresses.length === 0) throw errors.invalidArgument('master addresses', 'at least one is needed');
    this.stubs = addresses.map((address) => masterStub(address, tls, undefined, login));
  }

  async routes(tables: readonly string[]): Promise<Route__Output[]> {
    const response = await this.call<GetRouteResponse__Output>(
      (stub, deadline, callback) => stub.GetRoute({ tables: [...tables] }, { deadline }, callback),
      (r) => r.error,
    );
    return response.routes;
  }

  async catalogStatement(sql: string, requestId: string): Promise<ResultSet__Output> {
    const response = await this.call<DdlResponse__Output>(
      (stub, deadline, callback) => stub.ExecuteCatalogStatement({ sql, request_id: requestId }, { deadline }, callback),
      (r) => (r.outcome === 'error' ? r.error : null),
    );
    if (!response.result) throw errors.internal('the master answered a catalog statement without a result');
    return response.result;
  }

  clusterStatus(): Promise<ClusterStatusResponse__Output> {
    return this.call<ClusterStatusResponse__Output>(
      (stub, deadline, callback) => stub.GetClusterStatus({}, { deadline }, callback),
      (r) => r.error,
    );
  }

  close(): void {
    for (const stub of this.stubs) stub.close();
  }

  /**
   * Runs `call` against each master in turn until one leads. While an election may be
   * under way (a master said it is on standby, or masters that answered before are
   * down), tries again until MASTER_FAILOVER_WAIT_MS has passed.
   */
  private async call<T>(call: Call<T>, errorOf: (response: T) => ProtoError__Output | null | undefined): Promise<T> {
    const deadline = Date.now() + this.failoverWaitMs;
    for (;;) {
      const outcome = await this.callEachOnce(call, errorOf);
      if ('response' in outcome) {
        this.answeredOnce = true;
        return outcome.response;
      }
      const waitable = outcome.standby || this.answeredOnce;
      if (!waitable || Date.now() >= deadline) throw errors.masterUnreachable(this.addresses.join(', '), outcome.failures.join('; '));
      await new Promise((resolve) => setTimeout(resolve, MASTER_RETRY_INTERVAL_MS));
    }
  }

  /** One pass over the masters. A domain error other than NOT_LEADER is final and thrown. */
  private async callEachOnce<T>(
    call: Call<T>,
    errorOf: (response: T) => ProtoError__Output | null | undefined,
  ): Promise<{ response: T } | { failures: string[]; standby: boolean }> {
    const failures: string[] = [];
    let standby = false;
    for (let attempt = 0; attempt < this.stubs.length; attempt += 1) {
      const index = (this.current + attempt) % this.stubs.length;
      const address = this.addresses[index] as string;
      try {
        const response = await new Promise<T>((resolve, reject) =>
          call(this.stubs[index] as MasterServiceClient, Date.now() + MASTER_CALL_TIMEOUT_MS, (error, result) => {
            if (error) reject(errorFromGrpcStatus(error, address, MASTER_CALL_TIMEOUT_MS));
            else if (result === undefined) reject(errors.internal(`empty answer from the master at ${address}`));
            else resolve(result);
          }),
        );
        const error = errorOf(response);
        if (error && error.code !== '') {
          const failure = MiniSqlError.fromProto(error);
          if (failure.code !== 'NOT_LEADER') throw failure;
          failures.push(`${address}: ${failure.message}`);
          standby = true;
          continue;
        }
        this.current = index;
        return { response };
      } catch (error) {
        if (!(error instanceof MiniSqlError) || (error.code !== 'UNAVAILABLE' && error.code !== 'TIMEOUT')) throw error;
        failures.push(`${address}: ${error.message}`);
      }
    }
    return { failures, standby };
  }
}
