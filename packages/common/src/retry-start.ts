/** Retries `start` with backoff (250 ms doubling to 5 s) until it succeeds: etcd may come up after the process. */
import type { Logger } from './logger.js';

export async function retryUntilStarted(start: () => Promise<void>, logger: Logger, what: string): Promise<void> {
  for (let delayMs = 250; ; delayMs = Math.min(delayMs * 2, 5_000)) {
    try {
      return await start();
    } catch (error) {
      logger.warn(`${what}; retrying`, { error: (error as Error).message, delayMs });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
