/**
 * The one place gRPC stubs are made: each service's client for an address, with the
 * process's certificate when TLS is on (tls-identity.ts), plaintext when it is off.
 */
import type * as grpc from '@grpc/grpc-js';
import { loadProtos } from '@minisql/common';
import type { MasterServiceClient, RegionServiceClient, ReplicationServiceClient } from '@minisql/common';
import { channelCredentials, type Login, type TlsIdentity } from '@minisql/common';

export function replicationStub(address: string, tls: TlsIdentity | undefined, options?: grpc.ChannelOptions): ReplicationServiceClient {
  return new (loadProtos().replication.minisql.v1.ReplicationService)(address, channelCredentials(tls), options);
}

export function regionStub(address: string, tls: TlsIdentity | undefined, options?: grpc.ChannelOptions, login?: Login): RegionServiceClient {
  return new (loadProtos().region.minisql.v1.RegionService)(address, channelCredentials(tls, login), options);
}

export function masterStub(address: string, tls: TlsIdentity | undefined, options?: grpc.ChannelOptions, login?: Login): MasterServiceClient {
  return new (loadProtos().master.minisql.v1.MasterService)(address, channelCredentials(tls, login), options);
}
