import { isObject, ProtocolError, toGroups, toLocoActions, toPosition } from './actions.js';
import { delayFor, sleep, type Backoff } from './backoff.js';
import type { SyncListener, SyncMessage, Unsubscribe } from './contract.js';
import { describe, type TetherHttp } from './http.js';
import { readEvents } from './lines.js';

/** The part of a WebSocket (the browser's, Node 22's, or the `ws` package's) that the live stream uses. */
interface WebSocketLike {
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}

/** A WebSocket class: `new WebSocket(url, protocols)`. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => object;

export interface LiveSettings {
  backoff: Backoff;
  staleAfterMs: number;
}

/** How a connection ended: whether it was opened, whether the server said the token is no longer good, and how long
 * the server asked to wait. */
interface Ended {
  opened: boolean;
  unauthorized?: boolean;
  waitMs?: number;
}

/**
 * Loco's initSync over Tether's live stream: a WebSocket (subprotocol `tether.v1`, the token in the query), or
 * Server-Sent Events when no WebSocket can be opened. The adapter owns reconnecting: a lost connection is reported as
 * `disconnected`, and the next one begins with its own handshake.
 */
export class LiveSync {
  readonly #http: TetherHttp;
  readonly #clientId: string;
  readonly #WebSocket: WebSocketConstructor | undefined;
  readonly #settings: LiveSettings;
  readonly #positions: { head: number };
  readonly #onResyncRequired: () => void;
  readonly #log: (message: string) => void;

  constructor(
    http: TetherHttp,
    clientId: string,
    webSocket: WebSocketConstructor | undefined,
    settings: LiveSettings,
    positions: { head: number },
    onResyncRequired: () => void,
    log: (message: string) => void,
  ) {
    this.#http = http;
    this.#clientId = clientId;
    this.#WebSocket = webSocket;
    this.#settings = settings;
    this.#positions = positions;
    this.#onResyncRequired = onResyncRequired;
    this.#log = log;
  }

  start(listener: SyncListener): Unsubscribe {
    const stopped = new AbortController();
    this.#run(listener, stopped.signal).catch((error: unknown) => this.#log(`live sync stopped unexpectedly: ${describe(error)}`));
    return () => stopped.abort();
  }

  async #run(listener: SyncListener, stopped: AbortSignal): Promise<void> {
    const deliver = (message: SyncMessage) => {
      if (stopped.aborted) return;
      try {
        listener(message);
      } catch (error) {
        this.#log(`the sync listener threw: ${describe(error)}`);
      }
    };
    let failuresInARow = 0;
    let useWebSocket = this.#WebSocket !== undefined;
    while (!stopped.aborted) {
      const frames = new FrameTranslator(deliver, this.#positions, this.#onResyncRequired);
      const ended = useWebSocket ? await this.#webSocket(frames, stopped) : await this.#serverSentEvents(frames, stopped);
      if (frames.handshaken) {
        deliver({ type: 'disconnected' });
        failuresInARow = 0;
      }
      if (stopped.aborted) return;
      if (ended.unauthorized || !ended.opened) this.#http.forgetToken();
      if (useWebSocket && !ended.opened) {
        // A WebSocket that cannot be opened (a proxy without upgrades, say): Server-Sent Events next, at once.
        useWebSocket = false;
        continue;
      }
      useWebSocket = this.#WebSocket !== undefined;
      await sleep(Math.max(ended.waitMs ?? 0, delayFor(this.#settings.backoff, failuresInARow++)), stopped);
    }
  }

  async #webSocket(frames: FrameTranslator, stopped: AbortSignal): Promise<Ended> {
    let token: string;
    try {
      token = await this.#http.token();
    } catch (error) {
      this.#log(`the token source failed: ${describe(error)}`);
      return { opened: false };
    }
    const url = `${this.#http.base.replace(/^http/, 'ws')}/live?clientId=${encodeURIComponent(this.#clientId)}&access_token=${encodeURIComponent(token)}&protocol=1`;
    return new Promise<Ended>((resolve) => {
      let socket: WebSocketLike;
      try {
        socket = new this.#WebSocket!(url, ['tether.v1']) as WebSocketLike;
      } catch (error) {
        this.#log(`no WebSocket could be made: ${describe(error)}`);
        resolve({ opened: false });
        return;
      }
      const ended: Ended = { opened: false };
      let watchdog: ReturnType<typeof setTimeout> | undefined;
      const end = (why?: string) => {
        if (why !== undefined) this.#log(`live WebSocket closed: ${why}`);
        clearTimeout(watchdog);
        stopped.removeEventListener('abort', onStop);
        socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
        try {
          socket.close();
        } catch {
          // Closing a socket that never opened may throw; it is being dropped either way.
        }
        resolve(ended);
      };
      const onStop = () => end();
      // Nothing for this long (the server sends a frame at least every heartbeat): the connection is dead.
      const arm = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => end(`nothing received for ${this.#settings.staleAfterMs} ms`), this.#settings.staleAfterMs);
      };
      stopped.addEventListener('abort', onStop);
      arm();
      socket.onopen = () => {
        ended.opened = true;
        arm();
      };
      socket.onmessage = (event) => {
        arm();
        try {
          const error = frames.take(textOf(event.data));
          if (error === 'unauthorized') ended.unauthorized = true;
        } catch (error) {
          end(`unreadable frame: ${describe(error)}`);
        }
      };
      socket.onclose = (event) => {
        if (event.code === 1008) ended.unauthorized ||= /unauthori[sz]ed|expired/i.test(event.reason);
        end(`${event.code} ${event.reason}`);
      };
      socket.onerror = () => undefined;
    });
  }

  async #serverSentEvents(frames: FrameTranslator, stopped: AbortSignal): Promise<Ended> {
    const abort = new AbortController();
    const onStop = () => abort.abort();
    stopped.addEventListener('abort', onStop);
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        this.#log(`live events: nothing received for ${this.#settings.staleAfterMs} ms`);
        abort.abort();
      }, this.#settings.staleAfterMs);
    };
    try {
      arm();
      const answer = await this.#http.request('live events', `/events?clientId=${encodeURIComponent(this.#clientId)}`, {
        headers: { Accept: 'text/event-stream' },
        signal: abort.signal,
      });
      if ('failed' in answer) {
        if (answer.failed.code === 'resync_required') this.#onResyncRequired();
        return { opened: false, unauthorized: answer.failed.error === 'auth', waitMs: answer.failed.waitMs };
      }
      const response = answer.response;
      if (response.body === null) return { opened: false };
      const ended: Ended = { opened: true };
      try {
        await readEvents(response.body, (data) => {
          arm();
          if (frames.take(data) === 'unauthorized') ended.unauthorized = true;
          return !abort.signal.aborted;
        });
      } catch (error) {
        if (!abort.signal.aborted) this.#log(`live events ended: ${describe(error)}`);
      }
      return ended;
    } finally {
      clearTimeout(watchdog);
      stopped.removeEventListener('abort', onStop);
      abort.abort();
    }
  }
}

const textOf = (data: unknown): string => {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return new TextDecoder('utf-8', { fatal: true }).decode(data);
  throw new ProtocolError('a binary frame');
};

/** Tether's live frames as Loco's sync messages, for one connection. */
class FrameTranslator {
  readonly #deliver: (message: SyncMessage) => void;
  readonly #positions: { head: number };
  readonly #onResyncRequired: () => void;
  #position = 0;
  handshaken = false;

  constructor(deliver: (message: SyncMessage) => void, positions: { head: number }, onResyncRequired: () => void) {
    this.#deliver = deliver;
    this.#positions = positions;
    this.#onResyncRequired = onResyncRequired;
  }

  /** Takes one frame; answers the code of an `error` frame. */
  take(text: string): string | undefined {
    const frame: unknown = JSON.parse(text);
    if (!isObject(frame)) throw new ProtocolError('a frame that is not an object');
    switch (frame.type) {
      case 'handshake':
        this.#advance(toPosition(frame.lastSyncId, 'lastSyncId'));
        this.handshaken = true;
        this.#deliver({ type: 'handshake', lastSyncId: this.#position, syncGroups: toGroups(frame.syncGroups) });
        return undefined;
      case 'sync': {
        this.#requireHandshake();
        const sync = toLocoActions(frame.sync);
        this.#advance(toPosition(frame.lastSyncId, 'lastSyncId'));
        this.#deliver({ type: 'sync', lastSyncId: this.#position, sync });
        return undefined;
      }
      case 'groups':
        // Loco learns groups only from a handshake. After `disconnected` it takes the new handshake as a fresh
        // start: a delta up to the position already delivered, then lazy bootstraps of the groups it did not have.
        this.#requireHandshake();
        this.#deliver({ type: 'disconnected' });
        this.#deliver({ type: 'handshake', lastSyncId: this.#position, syncGroups: toGroups(frame.syncGroups) });
        return undefined;
      case 'error': {
        const code = isObject(frame.error) && typeof frame.error.code === 'string' ? frame.error.code : 'unknown';
        if (code === 'resync_required') this.#onResyncRequired();
        return code;
      }
      default:
        // pong, and frame types of later protocol versions.
        return undefined;
    }
  }

  #requireHandshake(): void {
    if (!this.handshaken) throw new ProtocolError('a frame before the handshake');
  }

  #advance(position: number): void {
    this.#position = position;
    this.#positions.head = Math.max(this.#positions.head, position);
  }
}
