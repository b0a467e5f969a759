import { isObject, isRow, ProtocolError, toGroups, toPosition } from './actions.js';
import { delayFor, sleep, type Backoff } from './backoff.js';
import type { BootstrapArgs, BootstrapPayload, BootstrapResult, NetworkErrorType } from './contract.js';
import { describe, type TetherHttp } from './http.js';
import { readEvents, readLines } from './lines.js';

interface Snapshot {
  bootstrap: BootstrapPayload;
  firstSyncId: number;
  syncGroups: string[];
}

type Attempt = { snapshot: Snapshot } | { error: NetworkErrorType; waitMs?: number };

/**
 * Loco's bootstrap over Tether's streamed one. Loco never retries a failed bootstrap (an eager one fails its start for
 * good), so transient failures, a cut stream included, are retried here up to `attempts` times.
 */
export class Bootstrapper {
  readonly #http: TetherHttp;
  readonly #clientId: string;
  readonly #backoff: Backoff;
  readonly #attempts: number;
  readonly #log: (message: string) => void;
  readonly #positions: { head: number };

  constructor(http: TetherHttp, clientId: string, backoff: Backoff, attempts: number, positions: { head: number }, log: (message: string) => void) {
    this.#http = http;
    this.#clientId = clientId;
    this.#backoff = backoff;
    this.#attempts = attempts;
    this.#positions = positions;
    this.#log = log;
  }

  async bootstrap(args: BootstrapArgs): Promise<BootstrapResult> {
    try {
      if (args.type === 'lazy' && args.models.length === 0) {
        // Tether reads no models as every model, and Loco ignores a lazy answer's position and groups.
        return { ok: true, value: { bootstrap: {}, firstSyncId: this.#positions.head, syncGroups: [...args.syncGroups] } };
      }
      for (let attempt = 0; ; attempt++) {
        const outcome = args.models.length === 0 ? await this.#position() : await this.#download(args);
        if ('snapshot' in outcome) {
          this.#positions.head = Math.max(this.#positions.head, outcome.snapshot.firstSyncId);
          return { ok: true, value: outcome.snapshot };
        }
        if (outcome.error !== 'network' || attempt + 1 >= this.#attempts) return { ok: false, error: outcome.error };
        await sleep(Math.max(outcome.waitMs ?? 0, delayFor(this.#backoff, attempt)));
      }
    } catch (error) {
      this.#log(`bootstrap failed unexpectedly: ${describe(error)}`);
      return { ok: false, error: 'network' };
    }
  }

  async #download(args: BootstrapArgs): Promise<Attempt> {
    const body = args.type === 'lazy' ? { type: 'lazy', models: args.models, syncGroups: args.syncGroups } : { type: 'eager', models: args.models };
    const answer = await this.#http.request('bootstrap', '/bootstrap', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/x-ndjson' },
      body: JSON.stringify(body),
    });
    if ('failed' in answer) return answer.failed;
    const response = answer.response;
    const asked = new Set(args.models);
    const bootstrap: BootstrapPayload = Object.fromEntries(args.models.map((model) => [model, []]));
    let start: { firstSyncId: number; syncGroups: string[] } | undefined;
    let streamed = 0;
    let end: number | undefined;
    try {
      const rest = await readLines(response.body!, (text) => {
        if (text === '') return true;
        const line: unknown = JSON.parse(text);
        if (!isObject(line) || end !== undefined) throw new ProtocolError('a bootstrap line after its end');
        if (start === undefined) {
          if (line.type !== 'start') throw new ProtocolError('a bootstrap that does not begin with its start line');
          start = { firstSyncId: toPosition(line.firstSyncId, 'firstSyncId'), syncGroups: toGroups(line.syncGroups) };
        } else if (line.type === 'rows') {
          if (typeof line.modelName !== 'string' || !Array.isArray(line.rows) || !line.rows.every(isRow)) throw new ProtocolError('a rows line without its model and rows');
          streamed += line.rows.length;
          // Only the models Loco asked for: its storage fails on a model it does not know.
          if (asked.has(line.modelName)) bootstrap[line.modelName]!.push(...line.rows);
        } else if (line.type === 'end') {
          end = toPosition(line.rowCount, 'rowCount');
        }
        return true;
      });
      if (rest.trim() !== '') throw new ProtocolError('a bootstrap cut off in the middle of a line');
    } catch (error) {
      this.#log(`bootstrap stream failed: ${describe(error)}`);
      return { error: 'network' };
    }
    if (start === undefined || end === undefined || end !== streamed) {
      this.#log(`bootstrap stream ended without its end line (${streamed} rows read)`);
      return { error: 'network' };
    }
    return { snapshot: { bootstrap, firstSyncId: start.firstSyncId, syncGroups: start.syncGroups } };
  }

  /** An eager bootstrap of no models is a position and the user's groups: the live stream's handshake has both, and
   * an empty snapshot is consistent with any position. */
  async #position(): Promise<Attempt> {
    const abort = new AbortController();
    const answer = await this.#http.request('the handshake', `/events?clientId=${encodeURIComponent(this.#clientId)}`, {
      headers: { Accept: 'text/event-stream' },
      signal: abort.signal,
    });
    if ('failed' in answer) return answer.failed;
    let snapshot: Snapshot | undefined;
    try {
      await readEvents(answer.response.body!, (data) => {
        const frame: unknown = JSON.parse(data);
        if (isObject(frame) && frame.type === 'handshake') {
          snapshot = { bootstrap: {}, firstSyncId: toPosition(frame.lastSyncId, 'lastSyncId'), syncGroups: toGroups(frame.syncGroups) };
        }
        return false;
      });
    } catch (error) {
      this.#log(`reading the handshake failed: ${describe(error)}`);
    } finally {
      abort.abort();
    }
    return snapshot === undefined ? { error: 'network' } : { snapshot };
  }
}
