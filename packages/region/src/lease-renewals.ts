/**
 * The region's fast lease renewals: every FAST_KEEPALIVE_INTERVAL_MS one keep-alive on a
 * LeaseKeepAlive stream kept open for them, one renewal at a time, each answer telling the
 * lease clock when its renewal was sent (lease-clock.ts). A renewal not answered within
 * `answerWaitMs` closes the stream; the next one opens another (on another etcd member if
 * this one is gone).
 *
 * Why one stream: a stream opened for each renewal (etcd3's `keepaliveOnce`) costs a new
 * HTTP/2 stream, its headers and its end, 13 times a second in every region: measured,
 * 3.4 % of a core in each idle region and as much again in etcd, for a cluster doing
 * nothing, and a neighbour's wake-ups are what one client's round trip pays for most.
 * On an open stream a renewal is one message each way.
 */
/** What a renewal stream must do: a LeaseKeepAlive stream of etcd3 has it. */
export interface RenewalStream {
  on(event: 'data', listener: (answer: { TTL: string }) => void): unknown;
  on(event: 'error' | 'end', listener: () => void): unknown;
  write(request: { ID: string }): unknown;
  end(): unknown;
  /** Drops the call at once (grpc-js): `end` alone only half-closes it, and a member that hangs never closes its side. */
  cancel?(): void;
}

export interface RenewalPorts {
  /** Opens a stream (etcd3: `leaseClient.leaseKeepAlive()`). */
  open(): Promise<RenewalStream>;
  /** The lease's id. */
  leaseId: string;
  /** The clock's time, in milliseconds. */
  nowMs(): number;
  /** A renewal sent at `sentAtMs` was answered with `ttlSeconds` left. */
  renewed(sentAtMs: number, ttlSeconds: number): void;
  /** etcd no longer knows the lease (an answer of TTL 0). */
  expired(): void;
  /** Whether renewals are still wanted (the lease still owns the region's key). */
  wanted(): boolean;
}

/** Starts renewing every `intervalMs`; returns the function that stops it. */
export function renewOnOneStream(intervalMs: number, answerWaitMs: number, ports: RenewalPorts): () => void {
  let stream: RenewalStream | undefined;
  let opening = false;
  let stopped = false;
  /** etcd answered that it no longer knows the lease: nothing more is sent. */
  let expired = false;
  /** The renewal in flight: when it was sent, and the timer that gives up on it. */
  let inFlight: { sentAtMs: number; timer: NodeJS.Timeout } | undefined;

  const close = (which: RenewalStream): void => {
    if (stream !== which) return;
    stream = undefined;
    if (inFlight) clearTimeout(inFlight.timer);
    inFlight = undefined;
    release(which);
  };
  const answered = (which: RenewalStream, answer: { TTL: string }): void => {
    if (stream !== which || inFlight === undefined) return;
    clearTimeout(inFlight.timer);
    const { sentAtMs } = inFlight;
    inFlight = undefined;
    if (answer.TTL === '0') {
      expired = true;
      ports.expired();
      return;
    }
    if (ports.wanted()) ports.renewed(sentAtMs, Number(answer.TTL));
  };
  const send = (): void => {
    if (stopped || expired || inFlight !== undefined || !ports.wanted()) return;
    const current = stream;
    if (current === undefined) {
      open();
      return;
    }
    const sentAtMs = ports.nowMs();
    const timer = setTimeout(() => close(current), answerWaitMs);
    timer.unref();
    inFlight = { sentAtMs, timer };
    try {
      current.write({ ID: ports.leaseId });
    } catch {
      close(current);
    }
  };
  const open = (): void => {
    if (opening) return;
    opening = true;
    ports.open().then(
      (opened) => {
        opening = false;
        if (stopped) {
          release(opened);
          return;
        }
        stream = opened;
        opened.on('data', (answer) => answered(opened, answer));
        opened.on('error', () => close(opened));
        opened.on('end', () => close(opened));
        send();
      },
      () => {
        opening = false; // the next interval tries again
      },
    );
  };
  const timer = setInterval(send, intervalMs);
  timer.unref();
  send();
  return () => {
    stopped = true;
    clearInterval(timer);
    if (stream) close(stream);
  };
}

/**
 * Half-closes `stream`, then cancels it: a member that answers no more would otherwise
 * keep it open, one more with every renewal given up on. Ended first, the stream is no
 * longer writable when the cancel's own error comes, so etcd3 does not count it against
 * the member.
 */
function release(stream: RenewalStream): void {
  try {
    stream.end();
    stream.cancel?.();
  } catch {
    // a stream already broken: nothing to end
  }
}
