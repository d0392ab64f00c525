/**
 * Many requests on one long-lived bidirectional gRPC stream, each answer matched to its
 * request by a sequence number. A unary call costs about 100 µs of CPU on each side
 * (a new HTTP/2 stream, headers, trailers, interceptors); a message on an open stream a
 * fraction of that, and messages on one stream keep their order.
 *
 * The stream opens on the first request and again after it breaks; a broken stream
 * fails every request waiting on it with the transport's error (the outcome of those
 * requests is unknown, as with a broken call).
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { errors, type MiniSqlError } from '@minisql/common';
import { FrameBatcher } from './frame-batcher.js';
import { errorFromGrpcStatus, type GrpcFailure } from './grpc-status.js';
import { WaitingRequests } from './waiting-requests.js';

/**
 * What a stream of requests needs of its call: a gRPC client duplex stream has it, and so
 * has a connection of the statement protocol (statement-socket.ts).
 */
export interface DuplexCall<Out, In> {
  on(event: 'data', listener: (message: In) => void): unknown;
  on(event: 'error', listener: (failure: GrpcFailure) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  write(message: Out): unknown;
  cancel(): void;
}

/** How requests are packed into frames and answers unpacked from them. */
export interface StreamFraming<Request, Response, Out, In> {
  pack: (requests: Request[]) => Out;
  unpack: (frame: In) => readonly Response[];
  /** An estimate of a request's size on the wire, to bound a frame in bytes. */
  bytesOf: (request: Request) => number;
  /** A frame that tells the peer a request is no longer wanted (absent: cancelling only stops waiting). */
  cancel?: (sequence: number) => Out;
}

export interface SequencedStreamOptions<Request, Response, Out = Request, In = Response> {
  /** The peer, for error messages. */
  address: string;
  open: () => DuplexCall<Out, In>;
  /**
   * Set: the requests of one event-loop turn go as one message (see FrameBatcher) and
   * an answer message may hold many answers. Unset: one message per request.
   */
  framing?: StreamFraming<Request, Response, Out, In>;
  /**
   * True when requests depend on the ones before them and the peer answers them in order
   * (a replica cannot apply a batch after one it missed): a request's time then counts
   * from when the one before it was answered (or from its sending, if none waits), so a
   * peer that is slow but working through a queue of large requests keeps going, while
   * one that stops is found within one request's time; and a request not answered in
   * time breaks the stream and fails every request on it. False: each request's time
   * counts from its sending, and only that request fails.
   */
  timeoutBreaksStream: boolean;
}

/** Sequences are uint32 on the wire (a uint64 costs a Long object per message); they wrap. */
const SEQUENCE_MAX = 0xffff_ffff;

interface Waiting<Response> {
  resolve: (response: Response) => void;
  reject: (error: MiniSqlError) => void;
  /** When its time is up (performance.now()); unset while an ordered request waits behind another (its time has not started). */
  deadlineMs: number | undefined;
  timeoutMs: number;
  sequence: number;
}

const followingSequence = (sequence: number): number => (sequence === SEQUENCE_MAX ? 1 : sequence + 1);

/** A timer that fires this much before a deadline still counts it as reached (timers keep whole milliseconds). */
const DEADLINE_SLACK_MS = 1;
/** The longest delay setTimeout keeps (2^31 - 1 ms, about 24.8 days). */
const TIMER_DELAY_MS_MAX = 2 ** 31 - 1;

/** One open call and the requests waiting for its answers. */
class OpenCall<Request, Response extends { sequence: number }, Out, In> {
  private nextSequence = 1;
  private readonly waiting = new WaitingRequests<Waiting<Response>>(followingSequence);
  private failure: MiniSqlError | undefined;
  private readonly call: DuplexCall<Out, In>;
  /** Requests of this turn, when framed. */
  private readonly outbox: FrameBatcher<Request> | undefined;
  /**
   * One timer for all the requests waiting, set for the earliest deadline, instead of a
   * timer each: setting and clearing a timer a request was a tenth of a lone statement's
   * time on the client. An answer leaves it set; when it fires it fails what is due and is
   * set again for the earliest deadline left (see settled).
   */
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** The deadline the timer is set for. */
  private timerDeadlineMs = Infinity;

  constructor(private readonly options: SequencedStreamOptions<Request, Response, Out, In>) {
    this.call = options.open();
    const framing = options.framing;
    if (framing) {
      this.outbox = new FrameBatcher((requests) => this.send(framing.pack(requests)), framing.bytesOf);
      this.call.on('data', (frame: In) => {
        for (const response of framing.unpack(frame)) this.answer(response);
      });
    } else {
      this.call.on('data', (response: In) => this.answer(response as unknown as Response));
    }
    this.call.on('error', (error: GrpcFailure) => this.fail(errorFromGrpcStatus(error, options.address, 0)));
    this.call.on('end', () => this.fail(errors.unavailable(options.address, 'it closed the stream')));
  }

  get broken(): boolean {
    return this.failure !== undefined;
  }

  request(message: Omit<Request, 'sequence'>, timeoutMs: number, signal?: AbortSignal): Promise<Response> {
    if (this.failure) return Promise.reject(this.failure);
    if (signal?.aborted) return Promise.reject(errors.cancelled());
    const sequence = this.nextSequence;
    this.nextSequence = followingSequence(sequence);
    return new Promise((resolve, reject) => {
      // Ordered: only the oldest request waiting has its time running (startClock).
      const startNow = !this.options.timeoutBreaksStream || this.waiting.size === 0;
      let waiting: Waiting<Response>;
      if (signal) {
        const onAbort = (): void => this.cancel(sequence);
        signal.addEventListener('abort', onAbort, { once: true });
        const settle = (): void => signal.removeEventListener('abort', onAbort);
        waiting = {
          resolve: (response) => (settle(), resolve(response)),
          reject: (error) => (settle(), reject(error)),
          deadlineMs: undefined,
          timeoutMs,
          sequence,
        };
      } else {
        waiting = { resolve, reject, deadlineMs: undefined, timeoutMs, sequence };
      }
      this.waiting.add(waiting);
      // The timer left armed when the last request was answered holds the process again.
      if (this.waiting.size === 1) this.deadlineTimer?.ref();
      if (startNow) this.startClock(waiting);
      // Not `{ ...message, sequence }`: in Node 20 that spread, with a property the
      // message does not have after it, made every request's objects survive
      // young-generation collections (2-5 MB kept a collection at 40,000 statements a
      // second, against 25 KB with the sequence written first), and copying them took a
      // tenth of the client's time. See young-garbage.test.ts.
      const request = { sequence, ...message } as Request;
      if (!this.outbox) this.send(request as unknown as Out);
      else {
        // As Nagle's algorithm, the other way round: a request goes at once when no other
        // is in flight (nothing could share its frame), and waits for the turn's end only
        // when others are, so that a burst goes as one frame.
        this.outbox.push(request, this.waiting.size === 1);
      }
    });
  }

  private startClock(waiting: Waiting<Response>): void {
    const deadlineMs = performance.now() + waiting.timeoutMs;
    waiting.deadlineMs = deadlineMs;
    if (deadlineMs < this.timerDeadlineMs) this.setTimer(deadlineMs);
  }

  private setTimer(deadlineMs: number): void {
    clearTimeout(this.deadlineTimer);
    this.timerDeadlineMs = deadlineMs;
    // Node fires a longer delay than TIMER_DELAY_MS_MAX at once: a far deadline is reached in steps.
    this.deadlineTimer = setTimeout(this.deadlineReached, Math.min(TIMER_DELAY_MS_MAX, Math.max(1, Math.ceil(deadlineMs - performance.now()))));
  }

  private stopTimer(): void {
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    this.timerDeadlineMs = Infinity;
  }

  /** Fails the requests whose time is up (ordered: the stream), and sets the timer for the next deadline. */
  private readonly deadlineReached = (): void => {
    this.deadlineTimer = undefined;
    this.timerDeadlineMs = Infinity;
    const nowMs = performance.now() + DEADLINE_SLACK_MS;
    let nextMs = Infinity;
    for (const waiting of this.waiting.values()) {
      if (waiting.deadlineMs === undefined) continue;
      if (waiting.deadlineMs > nowMs) {
        nextMs = Math.min(nextMs, waiting.deadlineMs);
        continue;
      }
      const timeout = errorFromGrpcStatus({ code: GrpcStatus.DEADLINE_EXCEEDED }, this.options.address, waiting.timeoutMs);
      if (this.options.timeoutBreaksStream) {
        this.fail(timeout);
        return;
      }
      this.waiting.delete(waiting.sequence);
      waiting.reject(timeout);
    }
    if (nextMs !== Infinity) this.setTimer(nextMs);
  };

  /**
   * A request is done. With none left waiting, the timer stays armed but no longer keeps
   * the process up: one client's next statement, a moment later, finds it set for an
   * earlier deadline than its own and sets none (a timer set and cleared per statement
   * was a microsecond of a one-client round trip). When it fires with nothing due, it is
   * not set again.
   */
  private settled(): void {
    if (this.waiting.size === 0) this.deadlineTimer?.unref();
    else this.startNextClock();
  }

  /** Ordered: the oldest request still waiting starts its time when the one before it is done. */
  private startNextClock(): void {
    if (!this.options.timeoutBreaksStream) return;
    const oldest = this.waiting.oldest();
    if (oldest !== undefined && oldest.deadlineMs === undefined) this.startClock(oldest);
  }

  /** Stops waiting for a request and, where the framing can, tells the peer to stop it. */
  private cancel(sequence: number): void {
    const waiting = this.waiting.delete(sequence);
    if (!waiting) return;
    this.settled();
    const framing = this.options.framing;
    if (framing?.cancel) {
      this.outbox?.flush(); // the request itself goes first
      this.send(framing.cancel(sequence));
    }
    waiting.reject(errors.cancelled());
  }

  /** Writes one message; a stream that cannot take it fails every request waiting on it. */
  private send(message: Out): void {
    try {
      this.call.write(message);
    } catch (thrown) {
      this.fail(errors.unavailable(this.options.address, `the request could not be sent: ${reasonOf(thrown)}`));
    }
  }

  close(): void {
    this.fail(errors.unavailable(this.options.address, 'the stream was closed by this process'));
  }

  private answer(response: Response): void {
    const waiting = this.waiting.delete(response.sequence);
    if (!waiting) return; // answered after it timed out
    this.settled();
    waiting.resolve(response);
  }

  private fail(failure: MiniSqlError): void {
    if (this.failure) return;
    this.failure = failure;
    this.outbox?.discard();
    this.call.cancel();
    this.stopTimer();
    for (const waiting of this.waiting.values()) waiting.reject(failure);
    this.waiting.clear();
  }
}

export class SequencedStream<Request, Response extends { sequence: number }, Out = Request, In = Response> {
  private current: OpenCall<Request, Response, Out, In> | undefined;

  constructor(private readonly options: SequencedStreamOptions<Request, Response, Out, In>) {}

  /** Sends one request after those sent before it; resolves with its answer or rejects with why there is none. */
  request(message: Omit<Request, 'sequence'>, timeoutMs: number, signal?: AbortSignal): Promise<Response> {
    try {
      if (!this.current || this.current.broken) this.current = new OpenCall(this.options);
    } catch (thrown) {
      // grpc-js throws at once on a channel already shut down (a connection dropped and
      // closed while a statement was on its way to it): a transport failure like any other.
      return Promise.reject(errors.unavailable(this.options.address, `no stream could be opened: ${reasonOf(thrown)}`));
    }
    return this.current.request(message, timeoutMs, signal);
  }

  /**
   * Opens the call now if none is open, sending nothing: the connection, its TLS
   * handshake and the peer's check of the caller's login happen before the first request
   * needs them. A failure shows on the next request, which opens another.
   */
  open(): void {
    try {
      if (!this.current || this.current.broken) this.current = new OpenCall(this.options);
    } catch {
      // As in request: the next request reports it.
    }
  }

  close(): void {
    this.current?.close();
    this.current = undefined;
  }
}

function reasonOf(thrown: unknown): string {
  return thrown instanceof Error ? thrown.message : String(thrown);
}
