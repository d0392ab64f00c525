/**
 * Waiting for work with a bound: the tester's op timeouts and adapters' waits, a master
 * taking the lead, a region's statements waiting for a handover or a read of its group.
 */

/**
 * Settles as `work` does, or, if it has not after `deadlineMs`, with what `late` returns
 * (or rejects with what it throws). The timer is cleared either way; `work` goes on.
 */
export function withDeadline<T>(work: Promise<T>, deadlineMs: number, late: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<T>((resolve, reject) => {
    timer = setTimeout(() => {
      try {
        resolve(late());
      } catch (error) {
        reject(error);
      }
    }, deadlineMs);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
