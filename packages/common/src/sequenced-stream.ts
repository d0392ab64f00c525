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
import { status as GrpcStatus, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { errors, type MiniSqlError } from './errors.js';
import { errorFromGrpcStatus } from './grpc-status.js';

export interface SequencedStreamOptions<Request, Response> {
  /** The peer, for error messages. */
  address: string;
  open: () => ClientDuplexStream<Request, Response>;
  /**
   * True when requests depend on the ones before them (a replica cannot apply a batch
   * after one it missed): a request not answered in time then breaks the stream and
   * fails every request on it. False: only that request fails.
   */
  timeoutBreaksStream: boolean;
}

/** Sequences are uint32 on the wire (a uint64 costs a Long object per message); they wrap. */
const SEQUENCE_MAX = 0xffff_ffff;

interface Waiting<Response> {
  resolve: (response: Response) => void;
  reject: (error: MiniSqlError) => void;
  timer: NodeJS.Timeout;
}

/** One open call and the requests waiting for its answers. */
class OpenCall<Request, Response extends { sequence: number }> {
  private nextSequence = 1;
  private readonly waiting = new Map<number, Waiting<Response>>();
  private failure: MiniSqlError | undefined;
  private readonly call: ClientDuplexStream<Request, Response>;

  constructor(private readonly options: SequencedStreamOptions<Request, Response>) {
    this.call = options.open();
    this.call.on('data', (response: Response) => this.answer(response));
    this.call.on('error', (error: ServiceError) => this.fail(errorFromGrpcStatus(error, options.address, 0)));
    this.call.on('end', () => this.fail(errors.unavailable(options.address, 'it closed the stream')));
  }

  get broken(): boolean {
    return this.failure !== undefined;
  }

  request(message: Omit<Request, 'sequence'>, timeoutMs: number): Promise<Response> {
    if (this.failure) return Promise.reject(this.failure);
    const sequence = this.nextSequence;
    this.nextSequence = sequence === SEQUENCE_MAX ? 1 : sequence + 1;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const timeout = errorFromGrpcStatus({ code: GrpcStatus.DEADLINE_EXCEEDED }, this.options.address, timeoutMs);
        if (this.options.timeoutBreaksStream) this.fail(timeout);
        else if (this.waiting.delete(sequence)) reject(timeout);
      }, timeoutMs);
      this.waiting.set(sequence, { resolve, reject, timer });
      try {
        this.call.write({ ...message, sequence } as Request);
      } catch (thrown) {
        clearTimeout(timer);
        this.waiting.delete(sequence);
        reject(errors.unavailable(this.options.address, `the request could not be sent: ${reasonOf(thrown)}`));
      }
    });
  }

  close(): void {
    this.fail(errors.unavailable(this.options.address, 'the stream was closed by this process'));
  }

  private answer(response: Response): void {
    const waiting = this.waiting.get(response.sequence);
    if (!waiting) return; // answered after it timed out
    this.waiting.delete(response.sequence);
    clearTimeout(waiting.timer);
    waiting.resolve(response);
  }

  private fail(failure: MiniSqlError): void {
    if (this.failure) return;
    this.failure = failure;
    this.call.cancel();
    for (const waiting of this.waiting.values()) {
      clearTimeout(waiting.timer);
      waiting.reject(failure);
    }
    this.waiting.clear();
  }
}

export class SequencedStream<Request, Response extends { sequence: number }> {
  private current: OpenCall<Request, Response> | undefined;

  constructor(private readonly options: SequencedStreamOptions<Request, Response>) {}

  /** Sends one request after those sent before it; resolves with its answer or rejects with why there is none. */
  request(message: Omit<Request, 'sequence'>, timeoutMs: number): Promise<Response> {
    try {
      if (!this.current || this.current.broken) this.current = new OpenCall(this.options);
    } catch (thrown) {
      // grpc-js throws at once on a channel already shut down (a connection dropped and
      // closed while a statement was on its way to it): a transport failure like any other.
      return Promise.reject(errors.unavailable(this.options.address, `no stream could be opened: ${reasonOf(thrown)}`));
    }
    return this.current.request(message, timeoutMs);
  }

  close(): void {
    this.current?.close();
    this.current = undefined;
  }
}

function reasonOf(thrown: unknown): string {
  return thrown instanceof Error ? thrown.message : String(thrown);
}
