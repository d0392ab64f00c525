/**
 * The statement stream's frames (RegionService.ExecuteStream): how a client packs its
 * statements and a region its answers, and the size estimates that bound a frame.
 */
import { valueBytes } from '@minisql/common';
import type { StreamFraming } from './sequenced-stream.js';
import type { ExecuteFrame, ExecuteRequest, ExecuteResponse, ExecuteResponse__Output, ExecuteResultFrame__Output, Value } from '@minisql/common';

/** Bytes a message costs beyond its values: tags, lengths, ids, sequence and epoch. */
const MESSAGE_OVERHEAD_BYTES = 64;

/** A wire value's size, by the one estimate of byte-chunks.ts: its text or blob, else a scalar. */
function protoValueBytes(value: Value | null | undefined): number {
  return valueBytes(value?.text ?? value?.blob ?? null);
}

/** Estimated wire size of a statement: its text, its parameters, the fixed fields. */
export function requestBytes(request: Omit<ExecuteRequest, 'sequence'>): number {
  let bytes = MESSAGE_OVERHEAD_BYTES + (request.sql?.length ?? 0);
  for (const value of request.params ?? []) bytes += protoValueBytes(value);
  return bytes;
}

/** Estimated wire size of an answer: the values of its rows dominate. */
export function responseBytes(response: ExecuteResponse): number {
  let bytes = MESSAGE_OVERHEAD_BYTES + (response.error?.message?.length ?? 0) + (response.result?.message?.length ?? 0);
  for (const row of response.result?.rows ?? []) {
    bytes += 2;
    for (const value of row.values ?? []) bytes += protoValueBytes(value);
  }
  return bytes;
}

/** The client's side of the statement stream's frames. */
export const EXECUTE_FRAMING: StreamFraming<ExecuteRequest, ExecuteResponse__Output, ExecuteFrame, ExecuteResultFrame__Output> = {
  pack: (requests) => ({ requests }),
  unpack: (frame) => frame.responses,
  bytesOf: requestBytes,
  cancel: (sequence) => ({ requests: [], cancel: [sequence] }),
};
