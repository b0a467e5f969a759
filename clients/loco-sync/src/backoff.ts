/** Delays between attempts: doubling from `initialDelayMs` up to `maxDelayMs`, each drawn between half and all of
 * its step so that clients a server dropped together do not come back together. */
export interface Backoff {
  initialDelayMs: number;
  maxDelayMs: number;
}

export const delayFor = (backoff: Backoff, attempt: number): number => {
  const step = Math.min(backoff.maxDelayMs, backoff.initialDelayMs * 2 ** Math.min(attempt, 30));
  return step / 2 + Math.random() * (step / 2);
};

/** Resolves after `ms`, or at once when `signal` aborts (the caller checks the signal afterwards). */
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (ms <= 0 || signal?.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
  });
