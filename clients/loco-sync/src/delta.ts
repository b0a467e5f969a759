import { isObject, ProtocolError, toLocoActions, toPosition } from './actions.js';
import { delayFor, sleep, type Backoff } from './backoff.js';
import type { DeltaSyncResult, NetworkErrorType, SyncAction } from './contract.js';
import { describe, type TetherHttp } from './http.js';

/**
 * Loco's deltaSync over Tether's paged delta. Loco asks again at once, without end, after `auth` or `network`, so
 * those answers come only after a backoff that grows with each failure in a row. `resync_required` (the position is
 * no longer in the server's log) has no Loco equivalent: the app is told through `onResyncRequired`, and Loco gets
 * `server`, which stops its catch-up instead of asking again forever.
 */
export class DeltaReader {
  readonly #http: TetherHttp;
  readonly #backoff: Backoff;
  readonly #onResyncRequired: () => void;
  readonly #log: (message: string) => void;
  #failuresInARow = 0;

  constructor(http: TetherHttp, backoff: Backoff, onResyncRequired: () => void, log: (message: string) => void) {
    this.#http = http;
    this.#backoff = backoff;
    this.#onResyncRequired = onResyncRequired;
    this.#log = log;
  }

  async deltaSync(from: number, to: number): Promise<DeltaSyncResult> {
    let outcome: { sync: SyncAction[] } | { error: NetworkErrorType; waitMs: number };
    try {
      outcome = await this.#read(from, to);
    } catch (error) {
      this.#log(`delta (${from}, ${to}] failed: ${describe(error)}`);
      outcome = { error: 'network', waitMs: 0 };
    }
    if ('sync' in outcome) {
      this.#failuresInARow = 0;
      return { ok: true, value: outcome };
    }
    if (outcome.error !== 'server') {
      await sleep(Math.max(outcome.waitMs, delayFor(this.#backoff, this.#failuresInARow++)));
    }
    return { ok: false, error: outcome.error };
  }

  async #read(from: number, to: number): Promise<{ sync: SyncAction[] } | { error: NetworkErrorType; waitMs: number }> {
    if (from >= to && from === 0) return { sync: [] };
    const sync: SyncAction[] = [];
    // An empty range is still asked for (as (from, from]), so that a position the server no longer has is noticed.
    const upTo = Math.max(from, to);
    let cursor = from;
    do {
      const answer = await this.#http.request('delta', `/delta?from=${cursor}&to=${upTo}`);
      if ('failed' in answer) {
        if (answer.failed.code !== 'resync_required') return answer.failed;
        this.#onResyncRequired();
        return { error: 'server', waitMs: 0 };
      }
      const page: unknown = await answer.response.json();
      if (!isObject(page) || typeof page.hasMore !== 'boolean') throw new ProtocolError('a delta page without hasMore');
      sync.push(...toLocoActions(page.sync));
      const covered = toPosition(page.lastSyncId, 'lastSyncId');
      if (page.hasMore && covered <= cursor) throw new ProtocolError('a delta page that does not advance');
      cursor = covered;
      if (!page.hasMore) break;
    } while (cursor < upTo);
    return { sync };
  }
}
