/** The generated message and service types other packages use, under one import. */
export type { Value, Value__Output } from './generated/minisql/v1/Value.js';
export type { Column, Column__Output } from './generated/minisql/v1/Column.js';
export type { Row, Row__Output } from './generated/minisql/v1/Row.js';
export type { ResultSet, ResultSet__Output } from './generated/minisql/v1/ResultSet.js';
export type { Error as ProtoError, Error__Output as ProtoError__Output } from './generated/minisql/v1/Error.js';
export type { ExecuteRequest, ExecuteRequest__Output } from './generated/minisql/v1/ExecuteRequest.js';
export type { ExecuteResponse, ExecuteResponse__Output } from './generated/minisql/v1/ExecuteResponse.js';
export type { PingRequest, PingRequest__Output } from './generated/minisql/v1/PingRequest.js';
export type { PingResponse, PingResponse__Output } from './generated/minisql/v1/PingResponse.js';
export type { RegionServiceClient, RegionServiceHandlers } from './generated/minisql/v1/RegionService.js';
export type { MasterServiceClient, MasterServiceHandlers } from './generated/minisql/v1/MasterService.js';
