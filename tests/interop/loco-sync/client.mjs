// One Loco Sync-style client per process on the Tether network adapter (@tether-sync/loco-sync, built from
// clients/loco-sync), driven by JSON lines on stdin and answering JSON lines on stdout, so that the Tether interop
// tests (xunit, LocoSyncNodeClient.cs) can run several of them against a real server.
//
// Loco Sync's own client (@loco-sync/client) is not served by the npm registry here, so `LocoLikeClient` below calls
// the adapter's four methods exactly as Loco's client does (../../../../shared/reference/loco-sync.md, sections 1
// and 2): an eager bootstrap once, a lazy bootstrap per group it has not seen (from the eager answer and from every
// handshake), initSync once per start, on each handshake deltaSync(lastSyncId, handshake.lastSyncId) with live
// messages buffered until it is done (again at once after `auth` or `network`, stalled after `server`), one
// transaction in flight with `auth`/`network` retried after 1 s and `server` rolled back, and a transaction's
// optimistic changes kept until a sync message reaches its lastSyncId. Its storage is memory, kept across stop/start.
//
//   node client.mjs --url http://127.0.0.1:PORT/sync --user alice --client-id alice-1
//        [--token TOKEN] [--eager team,member] [--websocket open|blocked|none] [--backoff-ms 200]
//
// --token defaults to "dev:<user>". --eager lists the models of the eager bootstrap ("" for none; default "team").
// Lazy bootstraps ask, for a group "team:…", for the test model's models that are not eager (team, member, project,
// issue, comment), and for any other group for no model. --websocket none gives the adapter no WebSocket class, so
// live sync runs over Server-Sent Events; blocked gives it one whose connections never open (they go to a closed
// port, as through a proxy without upgrades).
//
// Protocol (stdout carries nothing but these lines; logs go to stderr). Commands run one at a time, in order:
//   {"cmd":"start"}                      → {"ok":true,"status":"running"|"failed"}   (Loco's client.start())
//   {"cmd":"stop"}                       → {"ok":true}                               (client.stop(): unsubscribes)
//   {"cmd":"mutate","args":…}            → {"ok":true,"txId":N}   (addMutation: local changes or {name, args})
//   {"cmd":"settle","timeoutMs":N}       → {"ok":true,...status}  once caught up, no bootstrap running, nothing queued
//                                          and every committed transaction released; ok:false with the status on timeout
//   {"cmd":"waitFor","model":M,"modelId":I,"present":bool,"timeoutMs":N} → {"ok":true} once the confirmed row is (not) there
//   {"cmd":"rows","model":M}             → {"ok":true,"confirmed":[rows by id],"optimistic":[rows by id]}
//   {"cmd":"status"}                     → {"ok":true,...status}  (see statusOf)
//   {"cmd":"offline"} / {"cmd":"online"} → {"ok":true}  offline: every open connection is cut and new ones go to a
//                                          closed loopback port, so they fail as a lost network does
//   {"cmd":"setToken","token":T}         → {"ok":true}  what the token function gives from now on
//   {"cmd":"cutNextBootstrap"}           → {"ok":true}  the next bootstrap answer loses its end line, as when the
//                                          connection drops right before it
//   {"cmd":"close"}                      → {"ok":true}, then exit 0
//   unsolicited: {"event":"ready"} once the process is up; {"event":"fatal","error":…} before a non-zero exit.

// The shared line protocol comes first: its stdout guard must be in place before any library module runs.
import { commandOf, errorText, fatal, log, readCommands, send } from '../shared/line-protocol.mjs'
import net from 'node:net'
import { parseArgs } from 'node:util'
import WebSocket from 'ws'
import { createTetherNetworkAdapter } from '@tether-sync/loco-sync'

let args
try {
  args = parseArgs({
    strict: true,
    allowPositionals: false,
    options: {
      url: { type: 'string' },
      user: { type: 'string' },
      'client-id': { type: 'string' },
      token: { type: 'string' },
      eager: { type: 'string', default: 'team' },
      websocket: { type: 'string', default: 'open' },
      'backoff-ms': { type: 'string', default: '200' },
    },
  }).values
} catch (error) {
  fatal('bad arguments', error)
}
for (const required of ['url', 'user', 'client-id']) {
  if (!args[required]) fatal(`missing --${required}`)
}
if (!['open', 'blocked', 'none'].includes(args.websocket)) fatal(`--websocket is open, blocked or none, not ${args.websocket}`)
const eagerModels = args.eager === '' ? [] : args.eager.split(',')
const teamModels = ['team', 'member', 'project', 'issue', 'comment']
const lazyModels = (group) => (group.startsWith('team:') ? teamModels.filter((model) => !eagerModels.includes(model)) : [])

// ---- the network switch: real connections, cut and refused on purpose ------------------------------------------------

const closedPort = await new Promise((resolve, reject) => {
  const server = net.createServer()
  server.once('error', reject)
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address()
    server.close(() => resolve(port))
  })
})
let online = true
let cutNextBootstrap = false
const sockets = new Set()
const requests = new Set()
const closedRoute = (url) => {
  const target = new URL(url)
  target.hostname = '127.0.0.1'
  target.port = String(closedPort)
  return target.toString()
}
const route = (url) => (online ? url : closedRoute(url))
const switchedFetch = (input, init = {}) => {
  const abort = new AbortController()
  init.signal?.addEventListener('abort', () => abort.abort(init.signal.reason))
  if (init.signal?.aborted) abort.abort(init.signal.reason)
  // Kept until the next switch-off, since a streamed body (the live events) outlives its fetch's promise.
  requests.add(abort)
  const url = typeof input === 'string' ? input : input.url
  const answer = fetch(route(url), { ...init, signal: abort.signal })
  if (!cutNextBootstrap || !url.endsWith('/bootstrap')) return answer
  cutNextBootstrap = false
  return answer.then(async (response) => {
    const lines = (await response.text()).split('\n')
    const cut = lines.slice(0, lines.findLastIndex((line) => line.includes('"type":"end"'))).join('\n') + '\n'
    return new Response(cut, { status: response.status, headers: response.headers })
  })
}
class SwitchedWebSocket extends WebSocket {
  constructor(url, protocols) {
    super(args.websocket === 'blocked' ? closedRoute(url) : route(url), protocols)
    sockets.add(this)
    this.on('close', () => sockets.delete(this))
  }
}

// ---- the adapter ----------------------------------------------------------------------------------------------------

let token = args.token ?? `dev:${args.user}`
let tokenCalls = 0
let resyncRequired = 0
const adapterLog = []
const network = createTetherNetworkAdapter({
  url: args.url,
  clientId: args['client-id'],
  token: () => {
    tokenCalls++
    return token
  },
  fetch: switchedFetch,
  ...(args.websocket === 'none' ? {} : { WebSocket: SwitchedWebSocket }),
  onResyncRequired: () => {
    resyncRequired++
  },
  log: (message) => {
    log('adapter:', message)
    adapterLog.push(message)
    if (adapterLog.length > 50) adapterLog.shift()
  },
  backoff: { initialDelayMs: Number(args['backoff-ms']), maxDelayMs: 2000 },
})

// ---- a Loco Sync-style client -----------------------------------------------------------------------------------------

const keyOf = (modelName, modelId) => `${modelName}/${modelId}`
const errors = []
const problem = (message) => {
  log('PROBLEM:', message)
  errors.push(message)
}

// Checks what Loco's storage relies on: exactly the protocol's fields, the full row for insert and update, no data
// for delete, and ascending syncIds within a message up to its lastSyncId.
const checkActions = (actions, lastSyncId, where) => {
  let previous = -1
  for (const action of actions) {
    const keys = Object.keys(action).sort().join(',')
    const expected = action.action === 'delete' ? 'action,modelId,modelName,syncId' : 'action,data,modelId,modelName,syncId'
    if (keys !== expected) problem(`${where}: action ${action.syncId} has fields ${keys}`)
    if (action.action !== 'delete' && action.data?.id !== action.modelId) problem(`${where}: action ${action.syncId} does not carry its row`)
    if (action.syncId <= previous) problem(`${where}: action ${action.syncId} after ${previous}`)
    if (lastSyncId !== undefined && action.syncId > lastSyncId) problem(`${where}: action ${action.syncId} beyond lastSyncId ${lastSyncId}`)
    previous = action.syncId
  }
}

class LocoLikeClient {
  status = 'ready'
  // Storage: survives stop() and start(), as IndexedDB would.
  metadata = undefined
  confirmed = new Map()
  // Store and client state.
  storeLastSyncId = 0
  lastSyncId = 0
  caughtUp = false
  stalled = false
  futureSyncs = []
  knownGroups = []
  tombstones = new Set()
  lazyInFlight = 0
  pending = []
  queue = []
  sending = false
  nextTxId = 1
  unsubscribe = undefined
  // What the tests look at.
  handshakes = []
  disconnects = 0
  deltas = []
  bootstraps = []
  syncMessages = 0
  committed = 0
  rolledBack = []
  retries = 0

  async start() {
    this.status = 'initializing'
    if (this.metadata === undefined) {
      const result = await network.bootstrap({ type: 'eager', models: eagerModels })
      this.#recordBootstrap({ type: 'eager', models: eagerModels }, result)
      if (!result.ok) {
        this.status = 'failed'
        return
      }
      this.#saveRows(result.value.bootstrap, eagerModels, false)
      this.metadata = { firstSyncId: result.value.firstSyncId, lastSyncId: result.value.firstSyncId, syncGroups: [] }
      this.lastSyncId = this.storeLastSyncId = result.value.firstSyncId
      for (const group of result.value.syncGroups) void this.#lazyBootstrap(group)
    } else {
      this.lastSyncId = this.storeLastSyncId = this.metadata.lastSyncId
      for (const group of this.metadata.syncGroups) if (!this.knownGroups.includes(group)) this.knownGroups.push(group)
      this.queue = this.pending.filter((tx) => tx.lastSyncId === null)
      this.#pushFromQueue()
    }
    this.unsubscribe = await network.initSync((message) => this.#onMessage(message))
    this.status = 'running'
  }

  stop() {
    this.unsubscribe?.()
    this.unsubscribe = undefined
    this.caughtUp = false
    this.futureSyncs = []
    this.status = 'ready'
  }

  addMutation(mutationArgs) {
    if (this.status !== 'running') throw new Error(`addMutation while ${this.status}`)
    const tx = { txId: this.nextTxId++, args: mutationArgs, changes: Array.isArray(mutationArgs) ? mutationArgs : [], lastSyncId: null }
    this.pending.push(tx)
    this.queue.push(tx)
    this.#pushFromQueue()
    return tx.txId
  }

  async #pushFromQueue() {
    if (this.sending || this.queue.length === 0) return
    this.sending = true
    const tx = this.queue[0]
    let result
    try {
      result = await network.sendTransaction(tx.args)
    } catch (error) {
      // Loco drops a transaction whose send threw, without rolling it back: the adapter must never throw.
      problem(`sendTransaction threw: ${errorText(error)}`)
      this.queue.shift()
      this.sending = false
      return this.#pushFromQueue()
    }
    if (result.ok) {
      this.queue.shift()
      this.committed++
      tx.lastSyncId = result.value.lastSyncId
      if (tx.lastSyncId <= this.storeLastSyncId) this.pending = this.pending.filter((p) => p !== tx)
    } else if (result.error === 'server') {
      this.queue.shift()
      this.pending = this.pending.filter((p) => p !== tx)
      this.rolledBack.push({ txId: tx.txId, args: tx.args })
    } else {
      this.retries++
      await new Promise((resolve) => setTimeout(resolve, 1000))
    }
    this.sending = false
    this.#pushFromQueue()
  }

  #onMessage(message) {
    if (message.type === 'handshake') {
      this.handshakes.push({ lastSyncId: message.lastSyncId, syncGroups: message.syncGroups })
      void this.#catchUp(this.lastSyncId, message)
    } else if (message.type === 'sync') {
      this.syncMessages++
      checkActions(message.sync, message.lastSyncId, 'sync message')
      for (const action of message.sync) if (action.action === 'delete') this.tombstones.add(keyOf(action.modelName, action.modelId))
      if (this.caughtUp) this.#apply(message.lastSyncId, message.sync)
      else this.futureSyncs.push(message)
    } else if (message.type === 'disconnected') {
      this.disconnects++
      this.caughtUp = false
      this.futureSyncs = []
    } else {
      problem(`unknown sync message ${JSON.stringify(message)}`)
    }
  }

  async #catchUp(from, handshake) {
    const result = await network.deltaSync(from, handshake.lastSyncId)
    this.deltas.push({
      from,
      to: handshake.lastSyncId,
      ok: result.ok,
      ...(result.ok ? { syncIds: result.value.sync.map((a) => a.syncId) } : { error: result.error }),
    })
    if (!result.ok) {
      if (result.error === 'server') {
        this.stalled = true
        return
      }
      return this.#catchUp(from, handshake)
    }
    checkActions(result.value.sync, handshake.lastSyncId, 'delta')
    if (result.value.sync.some((a) => a.syncId <= from)) problem(`delta (${from}, ${handshake.lastSyncId}] holds an action at or before ${from}`)
    this.#apply(handshake.lastSyncId, result.value.sync)
    for (const message of this.futureSyncs) this.#apply(message.lastSyncId, message.sync)
    this.futureSyncs = []
    this.lastSyncId = handshake.lastSyncId
    this.caughtUp = true
    for (const group of handshake.syncGroups) if (!this.knownGroups.includes(group)) void this.#lazyBootstrap(group)
  }

  #apply(lastSyncId, actions) {
    if (lastSyncId <= this.storeLastSyncId) return
    for (const action of actions) {
      if (action.syncId <= this.storeLastSyncId) continue
      const key = keyOf(action.modelName, action.modelId)
      if (action.action === 'delete') this.confirmed.delete(key)
      else this.confirmed.set(key, action.data)
    }
    this.pending = this.pending.filter((tx) => tx.lastSyncId === null || tx.lastSyncId > lastSyncId)
    this.storeLastSyncId = lastSyncId
    if (this.metadata) this.metadata.lastSyncId = lastSyncId
  }

  async #lazyBootstrap(group) {
    this.knownGroups.push(group)
    const models = lazyModels(group)
    this.lazyInFlight++
    try {
      const request = { type: 'lazy', models, syncGroups: [group] }
      const result = await network.bootstrap(request)
      this.#recordBootstrap(request, result)
      if (result.ok) {
        this.#saveRows(result.value.bootstrap, models, true)
        this.metadata?.syncGroups.push(group)
      }
    } finally {
      this.lazyInFlight--
    }
  }

  #saveRows(bootstrap, models, lazy) {
    for (const model of Object.keys(bootstrap)) {
      // Loco's IndexedDB storage has a store per configured model and fails on any other.
      if (!models.includes(model)) problem(`a bootstrap of ${JSON.stringify(models)} answered model ${model}`)
    }
    for (const model of models) {
      for (const row of bootstrap[model] ?? []) {
        const key = keyOf(model, row.id)
        if (lazy && (this.confirmed.has(key) || this.tombstones.has(key))) continue
        this.confirmed.set(key, row)
      }
    }
  }

  #recordBootstrap(request, result) {
    this.bootstraps.push({
      request,
      ok: result.ok,
      ...(result.ok
        ? { firstSyncId: result.value.firstSyncId, syncGroups: result.value.syncGroups, models: Object.keys(result.value.bootstrap).sort(), rows: Object.values(result.value.bootstrap).reduce((n, rows) => n + rows.length, 0) }
        : { error: result.error }),
    })
  }

  rows(model) {
    const confirmed = [...this.confirmed.entries()].filter(([key]) => key.startsWith(`${model}/`)).map(([, row]) => row)
    const optimistic = new Map(confirmed.map((row) => [row.id, row]))
    for (const tx of this.pending) {
      for (const change of tx.changes) {
        if (change.modelName !== model) continue
        const current = optimistic.get(change.modelId)
        if (change.action === 'create') optimistic.set(change.modelId, change.data)
        else if (change.action === 'update' && current) optimistic.set(change.modelId, { ...current, ...change.data })
        else if (change.action === 'delete') optimistic.delete(change.modelId)
      }
    }
    const byId = (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
    return { confirmed: confirmed.sort(byId), optimistic: [...optimistic.values()].sort(byId) }
  }

  get settled() {
    return this.status === 'running' && this.caughtUp && this.lazyInFlight === 0 && this.queue.length === 0 && !this.sending && this.pending.length === 0
  }
}

const client = new LocoLikeClient()

const statusOf = () => ({
  status: client.status,
  settled: client.settled,
  caughtUp: client.caughtUp,
  stalled: client.stalled,
  lastSyncId: client.storeLastSyncId,
  groups: client.knownGroups,
  handshakes: client.handshakes,
  disconnects: client.disconnects,
  deltas: client.deltas,
  bootstraps: client.bootstraps,
  syncMessages: client.syncMessages,
  committed: client.committed,
  rolledBack: client.rolledBack,
  retries: client.retries,
  queued: client.queue.length,
  pending: client.pending.length,
  tokenCalls,
  resyncRequired,
  errors,
  adapterLog,
})

const until = async (condition, timeoutMs) => {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return true
}

const handlers = {
  start: async () => {
    await client.start()
    return { status: client.status }
  },
  stop: async () => {
    client.stop()
    return {}
  },
  mutate: async (command) => ({ txId: client.addMutation(command.args) }),
  settle: async (command) => {
    const settled = await until(() => client.settled, command.timeoutMs ?? 30_000)
    return settled ? statusOf() : { ok: false, error: 'not settled in time', ...statusOf() }
  },
  waitFor: async (command) => {
    const key = keyOf(command.model, command.modelId)
    const present = command.present !== false
    const done = await until(() => client.confirmed.has(key) === present, command.timeoutMs ?? 30_000)
    return done ? {} : { ok: false, error: `${key} is ${present ? 'still missing' : 'still there'}`, ...statusOf() }
  },
  rows: async (command) => client.rows(command.model),
  status: async () => statusOf(),
  offline: async () => {
    online = false
    for (const socket of sockets) socket.terminate()
    for (const request of requests) request.abort(new Error('network switched off'))
    requests.clear()
    return {}
  },
  online: async () => {
    online = true
    return {}
  },
  cutNextBootstrap: async () => {
    cutNextBootstrap = true
    return {}
  },
  setToken: async (command) => {
    token = command.token
    return {}
  },
}

let queue = Promise.resolve()
readCommands(
  (line) => {
    queue = queue.then(async () => {
      const parsed = await commandOf(line, handlers, { cmd: 'close', run: async () => client.stop() })
      if (parsed === undefined) return
      try {
        send({ id: parsed.id, ok: true, ...(await parsed.handler(parsed.command)) })
      } catch (error) {
        send({ id: parsed.id, ok: false, error: errorText(error) })
      }
    })
  },
  () => {
    client.stop()
    process.exit(0)
  },
)
send({ event: 'ready' })
