/**
 * The statement protocol's messages, ExecuteFrame and ExecuteResultFrame, encoded and
 * decoded by hand.
 *
 * Why not proto-loader's serializers, which the gRPC stream keeps: they convert each
 * message twice (fromObject into protobufjs's classes, then encode; decode, then toObject
 * into plain objects, with a Long made and converted for every int64). At one client
 * that was about 30 µs of a statement's CPU on each end, the largest piece of the
 * client's own work. These functions read and write the plain objects directly.
 *
 * The wire is protobuf's, so either end may use either codec: the encodings decode to
 * what proto-loader's `requestDeserialize` / `responseDeserialize` give (same fields,
 * defaults, oneof names, numbers as `longs: Number` gives them), which the codec tests
 * check against proto-loader itself. Fields this code does not know are skipped, so a
 * newer peer's additions are read past, as protobuf requires.
 */
import type {
  Column,
  ProtoError,
  ProtoError__Output,
  ExecuteFrame,
  ExecuteFrame__Output,
  ExecuteRequest,
  ExecuteRequest__Output,
  ExecuteResponse,
  ExecuteResponse__Output,
  ExecuteResultFrame,
  ExecuteResultFrame__Output,
  ResultSet,
  ResultSet__Output,
  Row,
  Value,
  Value__Output,
} from '@minisql/common';
import { ProtoReader } from './proto-reader.js';
import { int32Bytes, int64Bytes, ProtoWriter, Sizes, varint32Bytes, type Int64Input } from './proto-writer.js';

/** ReadConsistency's names by number, and numbers by name (types.proto). */
const CONSISTENCY_NAMES = ['READ_CONSISTENCY_PRIMARY', 'READ_CONSISTENCY_REPLICA'] as const;
const CONSISTENCY_NUMBERS: Readonly<Record<string, number>> = { READ_CONSISTENCY_PRIMARY: 0, READ_CONSISTENCY_REPLICA: 1 };

type Int64Field = Int64Input | null | undefined;

/** Whether an int64 input is zero, the proto3 default that is left off the wire. */
function int64Zero(value: Int64Field): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'object') return value.low === 0 && value.high === 0;
  // 0, "0" and 0n all mean zero here.
  return value == 0;
}

/** A blob as protobufjs takes one: bytes, or base64 text. */
function blobBytes(blob: Uint8Array | string): Uint8Array {
  return typeof blob === 'string' ? Buffer.from(blob, 'base64') : blob;
}

function enumNumber(value: string | number | null | undefined): number {
  if (typeof value === 'number') return value;
  return value === null || value === undefined ? 0 : (CONSISTENCY_NUMBERS[value] ?? 0);
}

// ---- sizing (the body of each message, without its tag and length) ----

function sizeString(sizes: Sizes, text: string | null | undefined): number {
  return text === null || text === undefined || text === '' ? 0 : 1 + sizes.string(String(text));
}

function sizeUint32(value: number | null | undefined): number {
  const n = (value ?? 0) >>> 0;
  return n === 0 ? 0 : 1 + varint32Bytes(n);
}

function sizeInt32(value: number | null | undefined): number {
  const n = (value ?? 0) | 0;
  return n === 0 ? 0 : 1 + int32Bytes(n);
}

function sizeInt64(value: Int64Field): number {
  return int64Zero(value) ? 0 : 1 + int64Bytes(value!);
}

function sizeValue(sizes: Sizes, value: Value): number {
  let bytes = 0;
  if (value.null !== null && value.null !== undefined) bytes += 2;
  if (value.int !== null && value.int !== undefined) bytes += 1 + int64Bytes(value.int);
  if (value.float !== null && value.float !== undefined) bytes += 9;
  if (value.text !== null && value.text !== undefined) bytes += 1 + sizes.string(String(value.text));
  if (value.blob !== null && value.blob !== undefined) bytes += 1 + sizes.bytes(blobBytes(value.blob));
  return bytes;
}

function sizeValues(sizes: Sizes, values: readonly Value[] | null | undefined): number {
  let bytes = 0;
  for (const value of values ?? []) bytes += 1 + sizes.nested(sizeValue, value);
  return bytes;
}

function sizeLogin(sizes: Sizes, login: NonNullable<ExecuteFrame['login']>): number {
  return sizeString(sizes, login.user) + sizeString(sizes, login.password);
}

function sizeRequest(sizes: Sizes, request: ExecuteRequest): number {
  const consistency = enumNumber(request.consistency);
  return (
    sizeString(sizes, request.sql) +
    sizeValues(sizes, request.params) +
    sizeString(sizes, request.request_id) +
    sizeString(sizes, request.group_id) +
    sizeInt64(request.epoch) +
    (consistency === 0 ? 0 : 1 + int64Bytes(consistency)) +
    sizeUint32(request.sequence) +
    sizeUint32(request.timeout_ms)
  );
}

/** The cancelled sequences, packed: their varints one after another. */
function sizeCancels(_sizes: Sizes, cancel: readonly number[]): number {
  let bytes = 0;
  for (const sequence of cancel) bytes += varint32Bytes(sequence >>> 0);
  return bytes;
}

function sizeFrame(sizes: Sizes, frame: ExecuteFrame): number {
  let bytes = 0;
  for (const request of frame.requests ?? []) bytes += 1 + sizes.nested(sizeRequest, request);
  const cancel = frame.cancel ?? [];
  if (cancel.length > 0) bytes += 1 + sizes.nested(sizeCancels, cancel);
  if (frame.login !== null && frame.login !== undefined) bytes += 1 + sizes.nested(sizeLogin, frame.login);
  return bytes;
}

function sizeColumn(sizes: Sizes, column: Column): number {
  return sizeString(sizes, column.name) + sizeString(sizes, column.type);
}

function sizeRow(sizes: Sizes, row: Row): number {
  return sizeValues(sizes, row.values);
}

function sizeResultSet(sizes: Sizes, result: ResultSet): number {
  let bytes = sizeString(sizes, result.kind);
  for (const column of result.columns ?? []) bytes += 1 + sizes.nested(sizeColumn, column);
  for (const row of result.rows ?? []) bytes += 1 + sizes.nested(sizeRow, row);
  return bytes + sizeInt64(result.rows_affected) + sizeString(sizes, result.message) + (result.truncated ? 2 : 0);
}

function sizeError(sizes: Sizes, error: ProtoError): number {
  return (
    sizeString(sizes, error.code) +
    sizeString(sizes, error.message) +
    sizeString(sizes, error.object) +
    sizeInt32(error.position) +
    sizeInt32(error.line) +
    sizeInt32(error.column) +
    (error.retryable ? 2 : 0)
  );
}

function sizeResponse(sizes: Sizes, response: ExecuteResponse): number {
  let bytes = 0;
  if (response.result !== null && response.result !== undefined) bytes += 1 + sizes.nested(sizeResultSet, response.result);
  if (response.error !== null && response.error !== undefined) bytes += 1 + sizes.nested(sizeError, response.error);
  return (
    bytes +
    sizeInt64(response.log_position) +
    sizeInt64(response.epoch) +
    sizeInt64(response.server_micros) +
    (response.stale ? 2 : 0) +
    sizeUint32(response.sequence)
  );
}

function sizeResultFrame(sizes: Sizes, frame: ExecuteResultFrame): number {
  let bytes = 0;
  for (const response of frame.responses ?? []) bytes += 1 + sizes.nested(sizeResponse, response);
  return bytes;
}

// ---- writing (the same order as sizing, field by field) ----

function writeString(writer: ProtoWriter, tag: number, text: string | null | undefined): void {
  if (text === null || text === undefined || text === '') return;
  writer.varint32(tag);
  writer.string(String(text));
}

function writeUint32(writer: ProtoWriter, tag: number, value: number | null | undefined): void {
  const n = (value ?? 0) >>> 0;
  if (n === 0) return;
  writer.varint32(tag);
  writer.varint32(n);
}

function writeInt32(writer: ProtoWriter, tag: number, value: number | null | undefined): void {
  const n = (value ?? 0) | 0;
  if (n === 0) return;
  writer.varint32(tag);
  writer.int32(n);
}

function writeInt64(writer: ProtoWriter, tag: number, value: Int64Field): void {
  if (int64Zero(value)) return;
  writer.varint32(tag);
  writer.int64(value!);
}

function writeTrue(writer: ProtoWriter, tag: number, value: boolean | null | undefined): void {
  if (!value) return;
  writer.varint32(tag);
  writer.bool(true);
}

function writeValue(writer: ProtoWriter, value: Value): void {
  if (value.null !== null && value.null !== undefined) {
    writer.varint32(8);
    writer.bool(Boolean(value.null));
  }
  if (value.int !== null && value.int !== undefined) {
    writer.varint32(16);
    writer.int64(value.int);
  }
  if (value.float !== null && value.float !== undefined) {
    writer.varint32(25);
    writer.double(Number(value.float));
  }
  if (value.text !== null && value.text !== undefined) {
    writer.varint32(34);
    writer.string(String(value.text));
  }
  if (value.blob !== null && value.blob !== undefined) {
    writer.varint32(42);
    writer.bytes(blobBytes(value.blob));
  }
}

function writeValues(writer: ProtoWriter, tag: number, values: readonly Value[] | null | undefined): void {
  for (const value of values ?? []) writer.nested(tag, writeValue, value);
}

function writeRequest(writer: ProtoWriter, request: ExecuteRequest): void {
  writeString(writer, 10, request.sql);
  writeValues(writer, 18, request.params);
  writeString(writer, 26, request.request_id);
  writeString(writer, 34, request.group_id);
  writeInt64(writer, 40, request.epoch);
  writeInt64(writer, 48, enumNumber(request.consistency));
  writeUint32(writer, 56, request.sequence);
  writeUint32(writer, 64, request.timeout_ms);
}

function writeCancels(writer: ProtoWriter, cancel: readonly number[]): void {
  for (const sequence of cancel) writer.varint32(sequence >>> 0);
}

function writeLogin(writer: ProtoWriter, login: NonNullable<ExecuteFrame['login']>): void {
  writeString(writer, 10, login.user);
  writeString(writer, 18, login.password);
}

function writeFrame(writer: ProtoWriter, frame: ExecuteFrame): void {
  for (const request of frame.requests ?? []) writer.nested(10, writeRequest, request);
  const cancel = frame.cancel ?? [];
  if (cancel.length > 0) writer.nested(18, writeCancels, cancel);
  if (frame.login !== null && frame.login !== undefined) writer.nested(26, writeLogin, frame.login);
}

function writeColumn(writer: ProtoWriter, column: Column): void {
  writeString(writer, 10, column.name);
  writeString(writer, 18, column.type);
}

function writeRow(writer: ProtoWriter, row: Row): void {
  writeValues(writer, 10, row.values);
}

function writeResultSet(writer: ProtoWriter, result: ResultSet): void {
  writeString(writer, 10, result.kind);
  for (const column of result.columns ?? []) writer.nested(18, writeColumn, column);
  for (const row of result.rows ?? []) writer.nested(26, writeRow, row);
  writeInt64(writer, 32, result.rows_affected);
  writeString(writer, 42, result.message);
  writeTrue(writer, 48, result.truncated);
}

function writeError(writer: ProtoWriter, error: ProtoError): void {
  writeString(writer, 10, error.code);
  writeString(writer, 18, error.message);
  writeString(writer, 26, error.object);
  writeInt32(writer, 32, error.position);
  writeInt32(writer, 40, error.line);
  writeInt32(writer, 48, error.column);
  writeTrue(writer, 56, error.retryable);
}

function writeResponse(writer: ProtoWriter, response: ExecuteResponse): void {
  if (response.result !== null && response.result !== undefined) writer.nested(10, writeResultSet, response.result);
  if (response.error !== null && response.error !== undefined) writer.nested(18, writeError, response.error);
  writeInt64(writer, 24, response.log_position);
  writeInt64(writer, 32, response.epoch);
  writeInt64(writer, 40, response.server_micros);
  writeTrue(writer, 48, response.stale);
  writeUint32(writer, 56, response.sequence);
}

/**
 * An ExecuteFrame's protobuf bytes (the client's side of the statement protocol), after
 * `headroomBytes` left for the caller: the frame's length goes there without a copy.
 */
export function encodeExecuteFrame(frame: ExecuteFrame, headroomBytes = 0): Buffer {
  const sizes = new Sizes();
  const writer = new ProtoWriter(sizeFrame(sizes, frame), sizes.lengths, headroomBytes);
  writeFrame(writer, frame);
  return writer.finish();
}

/** An ExecuteResultFrame's protobuf bytes (the region's side), after `headroomBytes` as above. */
export function encodeExecuteResultFrame(frame: ExecuteResultFrame, headroomBytes = 0): Buffer {
  const sizes = new Sizes();
  const writer = new ProtoWriter(sizeResultFrame(sizes, frame), sizes.lengths, headroomBytes);
  for (const response of frame.responses ?? []) writer.nested(10, writeResponse, response);
  return writer.finish();
}

// ---- decoding ----

function readValue(reader: ProtoReader, end: number): Value__Output {
  let value: Value__Output = {};
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag) {
      case 8:
        value = { null: reader.bool(), kind: 'null' };
        break;
      case 16:
        value = { int: reader.int64(), kind: 'int' };
        break;
      case 25:
        value = { float: reader.double(), kind: 'float' };
        break;
      case 34:
        value = { text: reader.string(), kind: 'text' };
        break;
      case 42:
        value = { blob: reader.bytes(), kind: 'blob' };
        break;
      default:
        reader.skip(tag & 7);
    }
  }
  return value;
}

/** Reads a message field's body with `read`, in a reader bounded to it. */
function nested<T>(reader: ProtoReader, read: (inner: ProtoReader, end: number) => T): T {
  const end = reader.delimited();
  const value = read(reader, end);
  if (reader.pos !== end) throw new RangeError(`protobuf nested message overran its length at byte ${reader.pos}`);
  return value;
}

function readLogin(reader: ProtoReader, end: number): NonNullable<ExecuteFrame__Output['login']> {
  const login: NonNullable<ExecuteFrame__Output['login']> = { user: '', password: '' };
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 10) login.user = reader.string();
    else if (tag === 18) login.password = reader.string();
    else reader.skip(tag & 7);
  }
  return login;
}

function readRequest(reader: ProtoReader, end: number): ExecuteRequest__Output {
  const request: ExecuteRequest__Output = {
    sql: '',
    params: [],
    request_id: '',
    group_id: '',
    epoch: 0,
    consistency: 'READ_CONSISTENCY_PRIMARY',
    sequence: 0,
    timeout_ms: 0,
  };
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag) {
      case 10:
        request.sql = reader.string();
        break;
      case 18:
        request.params.push(nested(reader, readValue));
        break;
      case 26:
        request.request_id = reader.string();
        break;
      case 34:
        request.group_id = reader.string();
        break;
      case 40:
        request.epoch = reader.uint64();
        break;
      case 48: {
        // An enum number this code does not name stays a number, as proto-loader leaves it.
        const number = reader.int32();
        request.consistency = (CONSISTENCY_NAMES[number] ?? number) as ExecuteRequest__Output['consistency'];
        break;
      }
      case 56:
        request.sequence = reader.uint32();
        break;
      case 64:
        request.timeout_ms = reader.uint32();
        break;
      default:
        reader.skip(tag & 7);
    }
  }
  return request;
}

/** Decodes an ExecuteFrame (the region's side); throws when the bytes are not one. */
export function decodeExecuteFrame(bytes: Buffer): ExecuteFrame__Output {
  const reader = new ProtoReader(bytes);
  const frame: ExecuteFrame__Output = { requests: [], cancel: [], login: null };
  while (reader.pos < reader.end) {
    const tag = reader.uint32();
    switch (tag) {
      case 10:
        frame.requests.push(nested(reader, readRequest));
        break;
      case 16:
        frame.cancel.push(reader.uint32());
        break;
      case 18: {
        const end = reader.delimited();
        while (reader.pos < end) frame.cancel.push(reader.uint32());
        if (reader.pos !== end) throw new RangeError(`protobuf packed field overran its length at byte ${reader.pos}`);
        break;
      }
      case 26:
        frame.login = nested(reader, readLogin);
        break;
      default:
        reader.skip(tag & 7);
    }
  }
  return frame;
}

function readValues(reader: ProtoReader, end: number): { values: Value__Output[] } {
  const values: Value__Output[] = [];
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 10) values.push(nested(reader, readValue));
    else reader.skip(tag & 7);
  }
  return { values };
}

function readColumn(reader: ProtoReader, end: number): { name: string; type: string } {
  const column = { name: '', type: '' };
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (tag === 10) column.name = reader.string();
    else if (tag === 18) column.type = reader.string();
    else reader.skip(tag & 7);
  }
  return column;
}

function readResultSet(reader: ProtoReader, end: number): ResultSet__Output {
  const result: ResultSet__Output = { columns: [], rows: [], kind: '', rows_affected: 0, message: '', truncated: false };
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag) {
      case 10:
        result.kind = reader.string();
        break;
      case 18:
        result.columns.push(nested(reader, readColumn));
        break;
      case 26:
        result.rows.push(nested(reader, readValues));
        break;
      case 32:
        result.rows_affected = reader.uint64();
        break;
      case 42:
        result.message = reader.string();
        break;
      case 48:
        result.truncated = reader.bool();
        break;
      default:
        reader.skip(tag & 7);
    }
  }
  return result;
}

function readError(reader: ProtoReader, end: number): ProtoError__Output {
  const error: ProtoError__Output = { code: '', message: '', object: '', position: 0, line: 0, column: 0, retryable: false };
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag) {
      case 10:
        error.code = reader.string();
        break;
      case 18:
        error.message = reader.string();
        break;
      case 26:
        error.object = reader.string();
        break;
      case 32:
        error.position = reader.int32();
        break;
      case 40:
        error.line = reader.int32();
        break;
      case 48:
        error.column = reader.int32();
        break;
      case 56:
        error.retryable = reader.bool();
        break;
      default:
        reader.skip(tag & 7);
    }
  }
  return error;
}

function readResponse(reader: ProtoReader, end: number): ExecuteResponse__Output {
  const response: ExecuteResponse__Output = { log_position: 0, epoch: 0, server_micros: 0, stale: false, sequence: 0 };
  while (reader.pos < end) {
    const tag = reader.uint32();
    switch (tag) {
      case 10:
        // One member of the outcome at a time: the last on the wire, as protobuf's oneof says.
        if (response.error !== undefined) delete response.error;
        response.result = nested(reader, readResultSet);
        response.outcome = 'result';
        break;
      case 18:
        if (response.result !== undefined) delete response.result;
        response.error = nested(reader, readError);
        response.outcome = 'error';
        break;
      case 24:
        response.log_position = reader.uint64();
        break;
      case 32:
        response.epoch = reader.uint64();
        break;
      case 40:
        response.server_micros = reader.uint64();
        break;
      case 48:
        response.stale = reader.bool();
        break;
      case 56:
        response.sequence = reader.uint32();
        break;
      default:
        reader.skip(tag & 7);
    }
  }
  return response;
}

/** Decodes an ExecuteResultFrame (the client's side); throws when the bytes are not one. */
export function decodeExecuteResultFrame(bytes: Buffer): ExecuteResultFrame__Output {
  const reader = new ProtoReader(bytes);
  const responses: ExecuteResponse__Output[] = [];
  while (reader.pos < reader.end) {
    const tag = reader.uint32();
    if (tag === 10) responses.push(nested(reader, readResponse));
    else reader.skip(tag & 7);
  }
  return { responses };
}
