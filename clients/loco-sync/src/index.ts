import type { Backoff } from './backoff.js';
import { Bootstrapper } from './bootstrap.js';
import type { NetworkAdapter } from './contract.js';
import { DeltaReader } from './delta.js';
import { describe, TetherHttp, type TokenSource } from './http.js';
import { LiveSync, type WebSocketConstructor } from './live.js';
import { TransactionSender } from './transactions.js';

export type * from './contract.js';
export type { TokenSource } from './http.js';
export type { WebSocketConstructor } from './live.js';

export interface TetherNetworkAdapterOptions {
  /** The server's sync base, e.g. `http://localhost:5080/sync`. */
  url: string;
  /** A bearer token, or a function that gives one (asked again after the server answers `unauthorized`). */
  token: TokenSource;
  /** This client's id: 1 to 128 printable characters, no `:`. Mutation ids are learned from the server for it. */
  clientId: string;
  /** The fetch to use; the global one by default. */
  fetch?: typeof fetch;
  /** The WebSocket class to use; the global one by default. Node 20 has none: pass the `ws` package's. Without any,
   * live sync uses Server-Sent Events. */
  WebSocket?: WebSocketConstructor;
  /** Called when the client's position is no longer in the server's log (compacted, or the server's data is older
   * than the client's). Loco has no way to start over by itself: reset the local database and start the client again. */
  onResyncRequired?: () => void;
  /** Diagnostics: one line per failure the adapter met and handled. */
  log?: (message: string) => void;
  /** Delays between reconnects and between retries: doubling from `initialDelayMs` (500) to `maxDelayMs` (30,000). */
  backoff?: Partial<Backoff>;
  /** How many times a bootstrap is tried before Loco is told it failed (5). */
  bootstrapAttempts?: number;
  /** A live connection that received nothing for this long is dropped and opened again (45,000; the server sends
   * something at least every 15 s). */
  staleAfterMs?: number;
}

/** A Loco Sync `NetworkAdapter` that syncs with a Tether server. */
export const createTetherNetworkAdapter = (options: TetherNetworkAdapterOptions): NetworkAdapter => {
  if (typeof options?.url !== 'string' || !/^https?:\/\//.test(options.url)) throw new TypeError('url is the server\'s sync base, e.g. http://localhost:5080/sync');
  if (typeof options.clientId !== 'string' || options.clientId === '') throw new TypeError('clientId is a non-empty string');
  if (typeof options.token !== 'string' && typeof options.token !== 'function') throw new TypeError('token is a string or a function that gives one');
  const fetchImpl = options.fetch ?? globalThis.fetch?.bind(globalThis);
  if (typeof fetchImpl !== 'function') throw new TypeError('no fetch: pass options.fetch');

  const log = options.log ?? (() => undefined);
  const backoff: Backoff = { initialDelayMs: 500, maxDelayMs: 30_000, ...options.backoff };
  const onResyncRequired = () => {
    log('the server no longer has this client\'s position: the local data must be bootstrapped again');
    try {
      options.onResyncRequired?.();
    } catch (error) {
      log(`onResyncRequired threw: ${describe(error)}`);
    }
  };
  // The highest position seen, for the answers given without asking the server.
  const positions = { head: 0 };
  const http = new TetherHttp(options.url, options.token, fetchImpl, log);
  const transactions = new TransactionSender(http, options.clientId, log);
  const bootstrapper = new Bootstrapper(http, options.clientId, backoff, options.bootstrapAttempts ?? 5, positions, log);
  const delta = new DeltaReader(http, backoff, onResyncRequired, log);
  const webSocket = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  const live = new LiveSync(http, options.clientId, webSocket, { backoff, staleAfterMs: options.staleAfterMs ?? 45_000 }, positions, onResyncRequired, log);

  return {
    sendTransaction: (args) => transactions.send(args),
    bootstrap: (args) => bootstrapper.bootstrap(args),
    deltaSync: (fromSyncId, toSyncId) => delta.deltaSync(fromSyncId, toSyncId),
    initSync: (listener) => live.start(listener),
  };
};
