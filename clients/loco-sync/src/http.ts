import type { NetworkErrorType } from './contract.js';

export type TokenSource = string | (() => string | Promise<string>);

/** Tether's error body: `{"error":{"code","message",...details}}`. */
export interface TetherError {
  code: string;
  message: string;
  expected?: number;
}

/** What a request came to: an answer (any status), or no answer at all. */
type Outcome = { response: Response } | { failure: unknown };

/** A request that failed, as Loco names it: its error type, the server's error code (`no_answer` when none came),
 * the id a `mutation_gap` expects, and the wait a `Retry-After` asked for. */
export interface Failed {
  error: NetworkErrorType;
  code: string;
  expected?: number | undefined;
  waitMs: number;
}

/** A 2xx answer, or why there is none. */
export type Answer = { response: Response } | { failed: Failed };

/** Requests to a Tether server's sync endpoints with the caller's token. The token is asked for once and kept until
 * the server answers `unauthorized`; then the next request asks for it again. */
export class TetherHttp {
  readonly #base: string;
  readonly #token: TokenSource;
  readonly #fetch: typeof fetch;
  readonly #log: (message: string) => void;
  #current: Promise<string> | undefined;

  constructor(base: string, token: TokenSource, fetchImpl: typeof fetch, log: (message: string) => void) {
    this.#base = base.replace(/\/+$/, '');
    this.#token = token;
    this.#fetch = fetchImpl;
    this.#log = log;
  }

  get base(): string {
    return this.#base;
  }

  token(): Promise<string> {
    if (this.#current === undefined) {
      const source = this.#token;
      const current = typeof source === 'string' ? Promise.resolve(source) : Promise.resolve().then(source);
      // A token source that failed is asked again next time, not remembered as failed.
      current.catch(() => {
        if (this.#current === current) this.#current = undefined;
      });
      this.#current = current;
    }
    return this.#current;
  }

  forgetToken(): void {
    this.#current = undefined;
  }

  /** Sends a request for `what` (named in the log): a 2xx answer comes back as it is, anything else as what Loco
   * should hear, logged unless the caller aborted the request. */
  async request(what: string, path: string, init: RequestInit = {}): Promise<Answer> {
    const outcome = await this.#send(path, init);
    if ('failure' in outcome) {
      if (!init.signal?.aborted) this.#log(`${what} got no answer: ${describe(outcome.failure)}`);
      return { failed: { error: 'network', code: 'no_answer', waitMs: 0 } };
    }
    const response = outcome.response;
    if (response.ok) return { response };
    const error = await readError(response);
    this.#log(`${what} answered ${response.status} ${error.code}: ${error.message}`);
    return { failed: { error: errorTypeOf(response.status), code: error.code, expected: error.expected, waitMs: retryAfterMs(response) } };
  }

  /** Sends a request; on 401 asks for the token again and sends it once more when the token changed. */
  async #send(path: string, init: RequestInit): Promise<Outcome> {
    let token: string;
    try {
      token = await this.token();
    } catch (failure) {
      return { failure };
    }
    const first = await this.#sendWith(path, init, token);
    if (!('response' in first) || first.response.status !== 401 || typeof this.#token === 'string') return first;
    this.forgetToken();
    let renewed: string;
    try {
      renewed = await this.token();
    } catch {
      return first;
    }
    if (renewed === token) return first;
    await first.response.body?.cancel().catch(() => undefined);
    return this.#sendWith(path, init, renewed);
  }

  async #sendWith(path: string, init: RequestInit, token: string): Promise<Outcome> {
    const headers = new Headers(init.headers);
    headers.set('Authorization', `Bearer ${token}`);
    headers.set('Tether-Protocol', '1');
    try {
      return { response: await this.#fetch(`${this.#base}${path}`, { ...init, headers }) };
    } catch (failure) {
      return { failure };
    }
  }
}

/** Reads a non-2xx answer's error; a body that is not Tether's error shape gives a code of its own. */
const readError = async (response: Response): Promise<TetherError> => {
  try {
    const body: unknown = await response.json();
    const error = (body as { error?: unknown } | null)?.error as Partial<TetherError> | undefined;
    if (error && typeof error.code === 'string') {
      return { code: error.code, message: String(error.message ?? ''), ...(typeof error.expected === 'number' ? { expected: error.expected } : {}) };
    }
  } catch {
    // Not JSON: a proxy's page, say. The status decides.
  }
  return { code: `http_${response.status}`, message: response.statusText };
};

/** Loco's name for a failed answer: 401 is `auth`; 408, 429 and 5xx are transient, `network`; any other 4xx is a
 * refusal, `server`. */
const errorTypeOf = (status: number): NetworkErrorType =>
  status === 401 ? 'auth' : status === 408 || status === 429 || status >= 500 ? 'network' : 'server';

/** The wait a 429 or 503 asks for with `Retry-After` (seconds), in ms; 0 without one. */
const retryAfterMs = (response: Response): number => {
  const seconds = Number(response.headers.get('Retry-After'));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
};

export const describe = (failure: unknown): string => {
  if (failure instanceof Error) {
    const cause = (failure as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${failure.message} (${cause.message})` : failure.message;
  }
  return String(failure);
};
