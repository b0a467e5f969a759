// Loco Sync's network contract (@loco-sync/client, NetworkAdapter since 0.0.1-beta.23), restated structurally so this
// package needs none of Loco's code: an object of these shapes is a Loco NetworkAdapter for an app whose sync groups
// are Tether's group names (strings).

/** Loco's result type: adapters answer with it and never throw. */
export type Result<T, E = NetworkErrorType> = { ok: true; value: T } | { ok: false; error: E };

/** How Loco treats a failure: `auth` and `network` are retried, `server` rolls a transaction back. */
export type NetworkErrorType = 'auth' | 'network' | 'server';

/** A record: every model row has a string `id`. */
export type ModelRow = { id: string } & Record<string, unknown>;

/** One server change to one record. `insert` and `update` carry the full row, `delete` no data. */
export type SyncAction =
  | { syncId: number; modelName: string; modelId: string; action: 'insert' | 'update'; data: ModelRow }
  | { syncId: number; modelName: string; modelId: string; action: 'delete' };

/** Loco's default mutation arguments: a create carries the full row, an update the fields it changes. */
export type LocalChange =
  | { action: 'create'; modelName: string; modelId: string; data: ModelRow }
  | { action: 'update'; modelName: string; modelId: string; data: Record<string, unknown> }
  | { action: 'delete'; modelName: string; modelId: string };

/** Custom mutation arguments: the name of a server mutator and its arguments. */
export type NamedMutation = { name: string; args: unknown };

export type MutationArgs = ReadonlyArray<LocalChange> | NamedMutation;

export type BootstrapArgs =
  | { type: 'eager'; models: string[] }
  | { type: 'lazy'; models: string[]; syncGroups: string[] };

export type BootstrapPayload = { [modelName: string]: ModelRow[] };

export type BootstrapResult = Result<{ bootstrap: BootstrapPayload; firstSyncId: number; syncGroups: string[] }>;

export type DeltaSyncResult = Result<{ sync: SyncAction[] }>;

export type SendTransactionResult = Result<{ lastSyncId: number }>;

export type SyncMessage =
  | { type: 'handshake'; lastSyncId: number; syncGroups: string[] }
  | { type: 'sync'; lastSyncId: number; sync: SyncAction[] }
  | { type: 'disconnected' };

export type SyncListener = (message: SyncMessage) => void;

export type Unsubscribe = () => void;

export interface NetworkAdapter {
  sendTransaction(args: MutationArgs): Promise<SendTransactionResult>;
  bootstrap(args: BootstrapArgs): Promise<BootstrapResult>;
  deltaSync(fromSyncId: number, toSyncId: number): Promise<DeltaSyncResult>;
  initSync(listener: SyncListener): Unsubscribe;
}
