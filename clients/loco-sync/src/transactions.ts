import { isObject, ProtocolError, toPosition } from './actions.js';
import type { MutationArgs, NetworkErrorType, SendTransactionResult } from './contract.js';
import { sleep } from './backoff.js';
import { describe, type TetherHttp } from './http.js';

/** The longest a `Retry-After` may hold a transaction back before Loco is told `network` (it then waits 1 s more). */
const MaxRetryAfterMs = 30_000;

/** How often one transaction may meet a mutation id that the server has moved past before it gives up for now. */
const IdRounds = 4;

const fail = (error: NetworkErrorType): SendTransactionResult => ({ ok: false, error });

/** Loco's mutation arguments as a Tether mutation: local changes go to the built-in `changes` mutator, `{name, args}`
 * to the named one. */
const toMutation = (args: MutationArgs): { name: string; args: unknown } | undefined => {
  if (Array.isArray(args)) return { name: 'changes', args: { changes: args } };
  if (isObject(args) && typeof args.name === 'string' && 'args' in args) return { name: args.name, args: args.args };
  return undefined;
};

/**
 * Sends Loco's transactions one at a time as Tether mutations with ids the server hands out. Loco gives a transaction
 * no id, so the next id is learned from the server (an empty push answers `lastMutationId`) and kept in memory only:
 * a stored counter would go stale when the same client id runs elsewhere or the server's data is restored. A
 * transaction whose answer was lost keeps its id, so Loco's retry of it is answered `duplicate` if it was applied.
 */
export class TransactionSender {
  readonly #http: TetherHttp;
  readonly #clientId: string;
  readonly #log: (message: string) => void;
  #next: number | undefined;
  #unanswered: number | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(http: TetherHttp, clientId: string, log: (message: string) => void) {
    this.#http = http;
    this.#clientId = clientId;
    this.#log = log;
  }

  send(args: MutationArgs): Promise<SendTransactionResult> {
    const result = this.#queue.then(() => this.#send(args)).catch((error: unknown) => {
      this.#log(`sendTransaction failed unexpectedly: ${describe(error)}`);
      return fail('network');
    });
    this.#queue = result;
    return result;
  }

  async #send(args: MutationArgs): Promise<SendTransactionResult> {
    const mutation = toMutation(args);
    if (mutation === undefined) {
      this.#log('sendTransaction: the arguments are neither local changes nor {name, args}');
      return fail('server');
    }
    for (let round = 0; round < IdRounds; round++) {
      if (this.#next === undefined) {
        const learned = await this.#push([]);
        if ('error' in learned) return fail(learned.error);
        this.#next = learned.lastMutationId + 1;
      }
      const retry = this.#unanswered !== undefined;
      const id = this.#unanswered ?? this.#next;
      this.#unanswered = id;
      const answer = await this.#push([{ id, ...mutation }]);
      if ('error' in answer) {
        if (answer.expected !== undefined) {
          // The server expects another id (its data was restored, or another copy of this client moved on).
          this.#unanswered = undefined;
          this.#next = answer.expected;
          continue;
        }
        // Refused as a whole, nothing of it ran: the id stays free. Otherwise Loco sends this transaction again.
        if (answer.error === 'server') this.#unanswered = undefined;
        return fail(answer.error);
      }
      const result = answer.results.find((r) => r.id === id);
      if (result === undefined) throw new ProtocolError(`the push answer has no result for mutation ${id}`);
      this.#unanswered = undefined;
      if (result.status === 'duplicate' && !retry) {
        // An id this adapter never sent was taken already: another copy of this client used it.
        this.#next = answer.lastMutationId + 1;
        continue;
      }
      this.#next = id + 1;
      if (result.status === 'rejected') {
        this.#log(`mutation ${id} (${mutation.name}) was refused: ${JSON.stringify(result.error ?? null)}`);
        return fail('server');
      }
      return { ok: true, value: { lastSyncId: toPosition(result.lastSyncId, 'lastSyncId') } };
    }
    this.#log(`mutation ids kept moving on the server for ${IdRounds} rounds; trying again later`);
    return fail('network');
  }

  async #push(mutations: Array<{ id: number; name: string; args: unknown }>): Promise<PushAnswer | PushFailure> {
    const answer = await this.#http.request('push', '/push', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ clientId: this.#clientId, mutations }),
    });
    if ('response' in answer) return readPushAnswer(await answer.response.json());
    const { error, code, expected, waitMs } = answer.failed;
    if (code === 'mutation_gap' && expected !== undefined) return { error: 'network', expected };
    if (error === 'network') await sleep(Math.min(MaxRetryAfterMs, waitMs));
    return { error };
  }
}

interface PushResult {
  id: number;
  status: 'applied' | 'duplicate' | 'rejected';
  lastSyncId?: number;
  error?: unknown;
}

interface PushAnswer {
  results: PushResult[];
  lastMutationId: number;
}

interface PushFailure {
  error: NetworkErrorType;
  expected?: number;
}

const readPushAnswer = (body: unknown): PushAnswer => {
  if (!isObject(body) || !Array.isArray(body.results)) throw new ProtocolError('a push answer without results');
  const results = body.results.map((value: unknown): PushResult => {
    if (!isObject(value) || typeof value.id !== 'number' || !['applied', 'duplicate', 'rejected'].includes(value.status as string)) {
      throw new ProtocolError('a push result without id or status');
    }
    return value as unknown as PushResult;
  });
  return { results, lastMutationId: toPosition(body.lastMutationId, 'lastMutationId') };
};
