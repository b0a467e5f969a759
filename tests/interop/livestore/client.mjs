// One real LiveStore 0.4.0 store per process, driven by JSON lines on stdin and answering JSON lines on stdout, so that
// the Tether interop tests (xunit, LiveStoreNodeClient.cs) can run several real clients against the C# sync server.
//
//   node --import ./ws-preload.mjs client.mjs --url http://127.0.0.1:PORT/livestore --transport ws \
//        --store STORE --client CLIENT --dir DATA_DIR [--token TOKEN] [--push-batch N] [--poll-ms MS] [--ping-ms MS]
//        [--log-level debug|info|warning|error|none]
//   LIVESTORE_WARM_URL=http://127.0.0.1:PORT/ node --import ./warm.mjs client.mjs ... --transport http
//
// Protocol (stdout carries nothing but these lines; every log goes to stderr):
//   in : {"id":1,"cmd":"commit","prefix":"a","count":50,"batch":10}  out: {"id":1,"ok":true,"ids":[...]}
//   in : {"id":2,"cmd":"rows"}                                        out: {"id":2,"ok":true,"rows":[{"id","text"}...]}
//   in : {"id":3,"cmd":"waitFor","count":N,"timeoutMs":30000}         out: {"id":3,"ok":true|false,"rows":[...]}
//   in : {"id":4,"cmd":"status"}                                      out: {"id":4,"ok":true,"connected":bool,...}
//   in : {"id":5,"cmd":"shutdown"}                                    out: {"id":5,"ok":true}, then exit 0
//   unsolicited: {"event":"ready",...} once the store exists; {"event":"shutdown","reason":"..."} when the store shut
//   itself down; {"event":"fatal","error":"..."} just before a non-zero exit.
// Failures answer {"id":..,"ok":false,"error":"..."}. End of stdin shuts the store down as "shutdown" does.

// The shared line protocol comes first: its stdout guard must be in place before any library module runs.
import { commandOf, errorText, fatal, log, readCommands, send, within } from '../shared/line-protocol.mjs'
import { parseArgs } from 'node:util'

// ---- arguments ------------------------------------------------------------------------------------------------------

let args
try {
  args = parseArgs({
    strict: true,
    allowPositionals: false,
    options: {
      url: { type: 'string' },
      transport: { type: 'string', default: 'ws' },
      store: { type: 'string' },
      client: { type: 'string' },
      dir: { type: 'string' },
      token: { type: 'string' },
      'push-batch': { type: 'string' },
      'poll-ms': { type: 'string' },
      'ping-ms': { type: 'string' },
      'log-level': { type: 'string', default: 'info' },
    },
  }).values
} catch (error) {
  fatal('bad arguments', error)
}

for (const required of ['url', 'store', 'client', 'dir']) {
  if (args[required] === undefined || args[required] === '') fatal(`missing --${required}`)
}
if (args.transport !== 'ws' && args.transport !== 'http') fatal(`--transport must be ws or http, not ${args.transport}`)

const positiveInt = (name) => {
  const raw = args[name]
  if (raw === undefined) return undefined
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1) fatal(`--${name} must be a positive integer, not ${raw}`)
  return value
}
const pushBatch = positiveInt('push-batch')
// The HTTP transport emulates a live pull by re-pulling every pollInterval (5 s by default); tests want it quick.
const pollMs = positiveInt('poll-ms') ?? 250
// The HTTP transport only pushes while its last Ping succeeded and pings every 10 s by default, so after a server
// restart it would sit idle for up to 10 s; the WS transport keeps its own default unless asked.
const pingMs = positiveInt('ping-ms') ?? (args.transport === 'http' ? 1000 : undefined)

// makeWsSync hands the URL to the WebSocket constructor as is; `ws` accepts http(s) and maps it to ws(s), but a
// browser-style constructor may not, so the scheme is made explicit here. makeHttpSync needs http(s).
const syncUrl = (() => {
  let parsed
  try {
    parsed = new URL(args.url)
  } catch (error) {
    fatal(`--url is not a URL: ${args.url}`, error)
  }
  // Both transports append `?storeId=...` themselves.
  if (parsed.search !== '' || parsed.hash !== '') fatal(`--url must have no query or fragment: ${args.url}`)
  const secure = parsed.protocol === 'https:' || parsed.protocol === 'wss:'
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(parsed.protocol)) fatal(`--url must be http(s) or ws(s): ${args.url}`)
  const scheme = args.transport === 'ws' ? (secure ? 'wss' : 'ws') : secure ? 'https' : 'http'
  return `${scheme}://${parsed.host}${parsed.pathname}`
})()

if (args.transport === 'ws' && typeof globalThis.WebSocket !== 'function') {
  fatal('globalThis.WebSocket is missing: start node with --import ./ws-preload.mjs (Node 20 has no built-in WebSocket)')
}
if (args.transport === 'http' && globalThis.__tetherFetchWarmed !== true) {
  log('warning: http transport without --import ./warm.mjs; on Node 20 every sync request may fail with "invalid content-length header"')
}

// ---- LiveStore --------------------------------------------------------------------------------------------------------

// Imported only now so that the stdout guard above is in place before any LiveStore module runs.
const { Events, Schema, State, makeSchema, queryDb, createStorePromise, makeShutdownDeferred, StoreInternalsSymbol } =
  await import('@livestore/livestore')
const { makeAdapter } = await import('@livestore/adapter-node')
const { makeWsSync, makeHttpSync } = await import('@livestore/sync-cf/client')
const { Cause, Deferred, Effect, Exit, LogLevel } = await import('effect')

const todos = State.SQLite.table({
  name: 'todos',
  columns: {
    id: State.SQLite.text({ primaryKey: true }),
    text: State.SQLite.text(),
  },
})

const events = {
  todoCreated: Events.synced({
    name: 'v1.TodoCreated',
    schema: Schema.Struct({ id: Schema.String, text: Schema.String }),
  }),
}

// A plain insert (no onConflict): an event materialised twice is a sync bug the tests must see, and it surfaces as a
// MaterializeError that shuts the store down (reported as a "shutdown" event).
const materializers = State.SQLite.materializers(events, {
  'v1.TodoCreated': ({ id, text }) => todos.insert({ id, text }),
})

const schema = makeSchema({ events, state: State.SQLite.makeState({ tables: { todos }, materializers }) })

const allTodos$ = queryDb(todos.orderBy('id', 'asc'), { label: 'todos' })

const logLevels = {
  all: LogLevel.All,
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warning: LogLevel.Warning,
  error: LogLevel.Error,
  none: LogLevel.None,
}
const logLevel = logLevels[args['log-level']]
if (logLevel === undefined) fatal(`--log-level must be one of ${Object.keys(logLevels).join(', ')}`)

const backend =
  args.transport === 'ws'
    ? makeWsSync({ url: syncUrl, ...(pingMs !== undefined ? { ping: { requestInterval: pingMs } } : {}) })
    : makeHttpSync({
        url: syncUrl,
        livePull: { pollInterval: pollMs },
        ...(pingMs !== undefined ? { ping: { requestInterval: pingMs } } : {}),
      })

const adapter = makeAdapter({
  storage: { type: 'fs', baseDirectory: args.dir },
  clientId: args.client,
  sync: {
    backend,
    // Skip (the default) lets the store boot while the server is down; 'ignore' keeps the store alive through sync
    // errors, so a server restart is survived; 'reset' (the default) wipes and shuts down on a new backendId.
    initialSyncOptions: { _tag: 'Skip' },
    onSyncError: 'ignore',
    onBackendIdMismatch: 'reset',
    livePull: true,
  },
})

const shutdownDeferred = Effect.runSync(makeShutdownDeferred)

let store
try {
  store = await createStorePromise({
    adapter,
    schema,
    storeId: args.store,
    disableDevtools: true,
    shutdownDeferred,
    logLevel,
    ...(args.token !== undefined ? { syncPayload: { authToken: args.token } } : {}),
    ...(pushBatch !== undefined ? { params: { leaderPushBatchSize: pushBatch } } : {}),
  })
} catch (error) {
  fatal('createStorePromise failed', error)
}

/** Set once the store is gone, by request or on its own; commands after that fail with this reason. */
let closedReason
let shutdownRequested = false
const waiters = new Set()
let markStoreClosed
const storeClosed = new Promise((resolve) => {
  markStoreClosed = resolve
})

const describeShutdown = (exit) => {
  if (Exit.isSuccess(exit)) return { reason: exit.value?.reason ?? 'unknown' }
  const failure = Cause.failureOption(exit.cause)
  const error = failure._tag === 'Some' ? failure.value : Cause.squash(exit.cause)
  const tag = error?._tag ?? error?.name ?? 'Error'
  return { reason: `error: ${tag}: ${errorText(error?.message ?? error)}`, detail: Cause.pretty(exit.cause) }
}

// The store shuts itself down after a BackendIdMismatchError ('reset': local data already wiped), a MaterializeError,
// or a leader failure; the driver needs to know at once rather than through a later command failing.
Effect.runPromise(Deferred.await(shutdownDeferred).pipe(Effect.exit)).then(
  (exit) => {
    if (shutdownRequested) return
    const { reason, detail } = describeShutdown(exit)
    closedReason = reason
    log('store shut itself down:', reason, detail ?? '')
    for (const waiter of waiters) waiter.fail(`store shut down: ${reason}`)
    send({ event: 'shutdown', reason, ...(detail !== undefined ? { detail } : {}) })
    markStoreClosed()
  },
  (error) => fatal('waiting for the store shutdown failed', error),
)

const readRows = () => {
  const rows = store.query(allTodos$).map(({ id, text }) => ({ id, text }))
  // Compared by UTF-16 code unit, as C#'s string.CompareOrdinal does (SQLite's BINARY order differs beyond the BMP).
  return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

const ensureOpen = () => {
  if (closedReason !== undefined) throw new Error(`store shut down: ${closedReason}`)
}

const integerField = (command, name, { min, fallback }) => {
  const value = command[name] ?? fallback
  if (!Number.isInteger(value) || value < min) throw new Error(`"${name}" must be an integer >= ${min}, not ${JSON.stringify(command[name])}`)
  return value
}

/** Resolves when the session has handed every local commit to the leader, which persists it in the eventlog. */
const waitUntilLeaderHasCommits = (timeoutMs) =>
  new Promise((resolve, reject) => {
    let unsubscribe
    let done = false
    const finish = (error) => {
      if (done) return
      done = true
      clearTimeout(timer)
      waiters.delete(waiter)
      queueMicrotask(() => unsubscribe?.())
      if (error === undefined) resolve()
      else reject(new Error(error))
    }
    const waiter = { fail: finish }
    waiters.add(waiter)
    const timer = setTimeout(() => {
      const status = store.syncStatus()
      finish(`the leader did not take the commits within ${timeoutMs} ms (session ${JSON.stringify(status)})`)
    }, timeoutMs)
    unsubscribe = store.subscribeSyncStatus((status) => {
      if (status.pendingCount === 0) finish()
    })
  })

const handlers = {
  async commit(command) {
    ensureOpen()
    const prefix = command.prefix
    if (typeof prefix !== 'string' || prefix === '') throw new Error('"prefix" must be a non-empty string')
    const count = integerField(command, 'count', { min: 0, fallback: undefined })
    const batch = integerField(command, 'batch', { min: 1, fallback: 1 })
    const ids = []
    for (let start = 0; start < count; start += batch) {
      const slice = []
      for (let i = start; i < Math.min(count, start + batch); i++) {
        const id = `${prefix}-${String(i).padStart(6, '0')}`
        ids.push(id)
        slice.push(events.todoCreated({ id, text: `${id} from ${args.client}` }))
      }
      store.commit(...slice)
    }
    // Answering only once the leader holds the events makes "commit, then shutdown, then restart" keep them.
    await waitUntilLeaderHasCommits(integerField(command, 'timeoutMs', { min: 1, fallback: 30_000 }))
    return { ids }
  },

  async rows() {
    ensureOpen()
    return { rows: readRows() }
  },

  async waitFor(command) {
    ensureOpen()
    const count = integerField(command, 'count', { min: 0, fallback: undefined })
    const timeoutMs = integerField(command, 'timeoutMs', { min: 1, fallback: 30_000 })
    return new Promise((resolve) => {
      let unsubscribe
      let done = false
      const finish = (answer) => {
        if (done) return
        done = true
        clearTimeout(timer)
        waiters.delete(waiter)
        // The first callback runs inside subscribe(), before it has returned the unsubscribe function.
        queueMicrotask(() => unsubscribe?.())
        resolve(answer)
      }
      const waiter = {
        fail: (error) => finish({ ok: false, error, rows: [] }),
      }
      waiters.add(waiter)
      const timer = setTimeout(() => {
        const rows = closedReason === undefined ? readRows() : []
        finish({ ok: false, error: 'timeout', rows })
      }, timeoutMs)
      unsubscribe = store.subscribe(allTodos$, (rows) => {
        if (rows.length >= count) finish({ rows: readRows() })
      })
      })
  },

  async status() {
    const base = {
      storeId: args.store,
      clientId: args.client,
      transport: args.transport,
      url: syncUrl,
      shutdown: closedReason ?? null,
    }
    if (closedReason !== undefined) return { ...base, connected: false }
    // networkStatus reflects the sync backend's isConnected: for ws an answered Ping on an open socket, for http the
    // last Ping RPC having succeeded.
    const network = await Effect.runPromise(store.networkStatus.get)
    // store.syncStatus() is session <-> leader only; the leader's own sync state holds the backend (upstream) head.
    const leaderState = await Effect.runPromise(store[StoreInternalsSymbol].clientSession.leaderThread.syncState.get)
    const session = store.syncStatus()
    return {
      ...base,
      connected: network.isConnected,
      networkChangedAtMs: network.timestampMs,
      // The last global sequence number this client knows the server has (confirmed through the pull stream).
      upstreamHead: leaderState.upstreamHead.global,
      // The leader's newest event, counting pending local ones.
      localHead: leaderState.localHead.global,
      // Events the leader holds that the server has not confirmed yet.
      pendingCount: leaderState.pending.length,
      leader: {
        upstreamHead: leaderState.upstreamHead,
        localHead: leaderState.localHead,
        pending: leaderState.pending.map((event) => ({
          name: event.name,
          seqNum: event.seqNum,
          parentSeqNum: event.parentSeqNum,
        })),
      },
      session,
      rowCount: store.query(allTodos$).length,
    }
  },
}

/** Commands other than waitFor still running: a shutdown sent right behind a commit lets the commit finish first. */
const inFlight = new Set()

let shuttingDown
const shutdownStore = async () => {
  shuttingDown ??= (async () => {
    shutdownRequested = true
    await Promise.allSettled([...inFlight])
    if (closedReason !== undefined) return
    closedReason = 'shutdown requested'
    for (const waiter of waiters) waiter.fail('store shut down: shutdown requested')
    await within(store.shutdownPromise(), 15_000, 'store.shutdownPromise()')
  })()
  return shuttingDown
}

const handleLine = async (line) => {
  const found = await commandOf(line, handlers, { cmd: 'shutdown', run: shutdownStore })
  if (found === undefined) return
  const { command, id, handler } = found
  const running = handler(command)
  if (command.cmd !== 'waitFor') {
    inFlight.add(running)
    running.then(
      () => inFlight.delete(running),
      () => inFlight.delete(running),
    )
  }
  try {
    const result = await running
    send({ id, ok: true, ...result })
  } catch (error) {
    log(`${command.cmd} failed:`, error?.stack ?? errorText(error))
    // A store that shuts itself down during a command (e.g. a commit that fails to materialise) makes the command fail
    // with a bare "Store has been shut down" before the shutdown's reason is known; wait briefly so the answer has it.
    if (closedReason === undefined && !shutdownRequested && /shut down/i.test(errorText(error))) {
      await Promise.race([storeClosed, new Promise((resolve) => setTimeout(resolve, 2000))])
    }
    const reason = closedReason !== undefined && !shutdownRequested ? `store shut down: ${closedReason}` : undefined
    send({ id, ok: false, error: reason ?? errorText(error) })
  }
}

// Commands run concurrently so that a long waitFor does not hold up a commit or a status sent after it.
readCommands(
  (line) => {
    handleLine(line).catch((error) => fatal('command handling failed', error))
  },
  () => {
    // The driver went away (or closed stdin on purpose): leave the data files consistent, then go.
    shutdownStore().then(
      () => process.exit(0),
      (error) => fatal('shutdown after end of input failed', error),
    )
  },
)

log(`store ${args.store} ready as client ${args.client} over ${args.transport} at ${syncUrl}`)
send({ event: 'ready', storeId: args.store, clientId: args.client, transport: args.transport, url: syncUrl, pid: process.pid })
