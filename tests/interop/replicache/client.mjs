// One real Replicache 15.3.0 instance per process (kvStore 'mem'), driven by JSON lines on stdin and answering JSON lines
// on stdout, so that the Tether interop tests (xunit, ReplicacheNodeClient.cs) can run several real clients against the
// test host's Replicache push/pull v1 endpoints.
//
//   node client.mjs --url http://127.0.0.1:PORT --user alice --name alice-1
//        [--auth "Bearer dev:alice"] [--schema-version 1] [--pull-interval-ms MS] [--push-delay-ms MS]
//        [--log-level error|info|debug]
//
// --url is the server's base address: the client pushes to <url>/replicache/push and pulls from <url>/replicache/pull.
// --auth defaults to "Bearer dev:<user>" (Replicache sends it verbatim as the Authorization header). --name is the
// Replicache name; with kvStore 'mem' every process is its own client group whatever the name.
// --pull-interval-ms defaults to none (no periodic pull: the tests pull explicitly); --push-delay-ms defaults to 0.
//
// Protocol (stdout carries nothing but these lines; every log goes to stderr). Commands run one at a time, in order:
//   in : {"id":1,"cmd":"mutate","name":"createIssue","args":{...}}     out: {"id":1,"ok":true}
//   in : {"id":2,"cmd":"mutateMany","name":"createIssue","argsList":[...]}
//                                                                       out: {"id":2,"ok":true,"count":N}
//   in : {"id":3,"cmd":"push"}                                          out: {"id":3,"ok":true,"online":bool,"pending":N,"errors":[...]}
//   in : {"id":4,"cmd":"pull"}                                          out: {"id":4,"ok":true,"online":bool,"taken":bool,"pending":N,"errors":[...]}
//   in : {"id":5,"cmd":"sync","timeoutMs":30000}                        out: {"id":5,"ok":true,"pending":0,"rounds":N,"errors":[...],"errorCount":N}
//        (push + pull, at least once, until no mutation is pending and the round's pull was answered with 200 and taken
//        by Replicache; "errors" then lists every failure since the previous sync ended (or the process started),
//        including those of the pushes Replicache sent by itself in between, up to the last 50, and "errorCount" how
//        many there were; a timeout answers ok:false with "pending", "pulled", "online" and the errors)
//   in : {"id":6,"cmd":"scan","prefix":"issue/"}                        out: {"id":6,"ok":true,"entries":[{"key","value"}...]}
//        (sorted by key, UTF-16 code unit order like C#'s ordinal comparison)
//   in : {"id":7,"cmd":"pending"}                     out: {"id":7,"ok":true,"pending":N,"mutations":[{"clientID","id","name"}...]}
//   in : {"id":8,"cmd":"status"}                      out: {"id":8,"ok":true,"clientID","clientGroupID","online","pending",
//                                                           "requests":{"push","pull","failedPush","failedPull"},"errors":[...]}
//   in : {"id":9,"cmd":"close"}                                         out: {"id":9,"ok":true}, then exit 0
//   unsolicited: {"event":"ready","clientID":...,"clientGroupID":...,"profileID":...} once the instance exists;
//   {"event":"clientStateNotFound"} and {"event":"updateNeeded","reason":{...}} from Replicache's handlers (no test expects
//   them, so the driver fails on them with the event in the message);
//   {"event":"fatal","error":"..."} just before a non-zero exit.
// Failures answer {"id":..,"ok":false,"error":"..."} (a local mutator that throws fails its mutate this way).
// "errors" lists the last few failures while the command ran: requests that got no answer, what Replicache logged at
// level error (a non-200 answer, with its body), "Pull threw"/"Push threw" (an answer Replicache refused, e.g. a cookie
// going back), and ClientStateNotFound / VersionNotSupported answers. rep.push and rep.pull resolve even when the
// request failed, and rep.online stays true through non-200 answers, so "errors" and "taken" are how a failure shows.
// End of stdin closes the instance as "close" does.

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
      user: { type: 'string' },
      name: { type: 'string' },
      auth: { type: 'string' },
      'schema-version': { type: 'string', default: '1' },
      'pull-interval-ms': { type: 'string' },
      'push-delay-ms': { type: 'string', default: '0' },
      'log-level': { type: 'string', default: 'info' },
    },
  }).values
} catch (error) {
  fatal('bad arguments', error)
}

for (const required of ['url', 'user', 'name']) {
  if (args[required] === undefined || args[required] === '') fatal(`missing --${required}`)
}

const nonNegativeInt = (name) => {
  const raw = args[name]
  if (raw === undefined) return undefined
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 0) fatal(`--${name} must be an integer >= 0, not ${raw}`)
  return value
}
const pullInterval = nonNegativeInt('pull-interval-ms') ?? null
const pushDelay = nonNegativeInt('push-delay-ms')
// 'debug' floods stderr; it works only because package.json pins @rocicorp/logger to 5.2.2 (5.5.0 crashes on it).
if (!['error', 'info', 'debug'].includes(args['log-level'])) {
  fatal(`--log-level must be error, info or debug, not ${args['log-level']}`)
}

const baseUrl = (() => {
  let parsed
  try {
    parsed = new URL(args.url)
  } catch (error) {
    fatal(`--url is not an absolute URL: ${args.url}`, error)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') fatal(`--url must be http(s): ${args.url}`)
  if (parsed.search !== '' || parsed.hash !== '') fatal(`--url must have no query or fragment: ${args.url}`)
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`
})()
const pushURL = `${baseUrl}/replicache/push`
const pullURL = `${baseUrl}/replicache/pull`
const auth = args.auth ?? `Bearer dev:${args.user}`

// ---- Replicache -------------------------------------------------------------------------------------------------------

// Imported only now so that the stdout guard above is in place before any Replicache module runs.
const { Replicache } = await import('replicache')

/** The last messages Replicache logged at level error, each with a sequence number so a command can take its own. */
const errorLog = []
let errorSeq = 0
const ErrorsKept = 50

const formatLogArg = (arg) => {
  if (arg instanceof Error) {
    const cause = arg.causedBy ?? arg.cause
    return cause !== undefined ? `${arg.name}: ${arg.message} (caused by ${formatLogArg(cause)})` : `${arg.name}: ${arg.message}`
  }
  if (typeof arg === 'string') return arg
  try {
    return JSON.stringify(arg)
  } catch {
    return String(arg)
  }
}

const levelRank = { debug: 0, info: 1, error: 2 }
const printRank = levelRank[args['log-level']]

const logSink = {
  log(level, context, ...parts) {
    const text = parts.map(formatLogArg).join(' ').replace(/\s+/g, ' ').trim()
    if ((levelRank[level] ?? 2) >= printRank) {
      const contextText = context === undefined ? '' : Object.entries(context).map(([k, v]) => (v === undefined ? k : `${k}=${v}`)).join(' ')
      log(`replicache ${level}${contextText === '' ? '' : ` [${contextText}]`}:`, text)
    }
    // A pull response Replicache refuses (a cookie or lastMutationID going back, a malformed body) is logged as
    // "Pull threw: …" at level info, not error; the same for pushes. (A request that got no answer is logged so at
    // level debug, and is recorded by the fetch hook instead.)
    if (level === 'error' || (level === 'info' && /^(Pull|Push) threw/.test(text))) recordError(text)
  },
}

/** Pushes and pulls sent, and how many of them failed (not HTTP 200, or no answer at all). */
const requests = { push: 0, pull: 0, failedPush: 0, failedPull: 0 }
/** The HTTP status of the last pull, 0 when it got no answer. */
let lastPullStatus

/** The sequence number of the last error a sync reported. */
let reportedSeq = 0

const recordError = (text) => {
  errorLog.push({ seq: ++errorSeq, text })
  if (errorLog.length > ErrorsKept) errorLog.shift()
}

// Replicache logs a request that got no answer (server down) only at level debug, so the requests are watched here
// too (Replicache calls the global fetch for both endpoints); a non-200 answer it logs itself, with the body.
const realFetch = globalThis.fetch
globalThis.fetch = async (input, init) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
  const kind = url === pushURL ? 'push' : url === pullURL ? 'pull' : undefined
  if (kind === undefined) return realFetch(input, init)
  requests[kind]++
  let response
  try {
    response = await realFetch(input, init)
  } catch (error) {
    requests[kind === 'push' ? 'failedPush' : 'failedPull']++
    if (kind === 'pull') lastPullStatus = 0
    recordError(`${kind} got no answer: ${formatLogArg(error)}`)
    log(`${kind} got no answer: ${formatLogArg(error)}`)
    throw error
  }
  if (response.status !== 200) requests[kind === 'push' ? 'failedPush' : 'failedPull']++
  if (kind === 'pull') lastPullStatus = response.status
  return response
}

/** The errors logged after sequence number `since` (the last `max` of them). */
const errorsSince = (since, max = 5) => errorLog.filter((e) => e.seq > since).slice(-max).map((e) => e.text)

// The optimistic halves of the test model's mutators: the same keys (<modelName>/<modelId>) and the fields the client
// can know. The server's results replace these once a pull confirms the mutation (createdAt, for one, is the server's).
// A mutator the server refuses still runs here; its effect disappears with the pull that confirms it.
const mutators = {
  async createTeam(tx, { id, name }) {
    await tx.set(`team/${id}`, { id, name })
  },
  async addMember(tx, { teamId, userId }) {
    const id = `${teamId}:${userId}`
    await tx.set(`member/${id}`, { id, teamId, userId })
  },
  async removeMember(tx, { teamId, userId }) {
    await tx.del(`member/${teamId}:${userId}`)
  },
  async createProject(tx, { id, teamId, name }) {
    await tx.set(`project/${id}`, { id, teamId, name })
  },
  async createIssue(tx, { id, projectId, title, description, status }) {
    const project = await tx.get(`project/${projectId}`)
    const issue = { id, projectId }
    // A project this client has not pulled yet leaves teamId out; the server fills it in (or refuses the mutation).
    if (project !== undefined && typeof project.teamId === 'string') issue.teamId = project.teamId
    Object.assign(issue, { title, description: description ?? '', status: status ?? 'todo', createdBy: args.user })
    await tx.set(`issue/${id}`, issue)
  },
  async updateIssue(tx, { id, title, description, status }) {
    const issue = await tx.get(`issue/${id}`)
    // The server refuses an update of an issue it does not have; nothing to show optimistically either.
    if (issue === undefined) return
    const next = { ...issue }
    // As on the server, a field left out or null stays as it is.
    if (title !== undefined && title !== null) next.title = title
    if (description !== undefined && description !== null) next.description = description
    if (status !== undefined && status !== null) next.status = status
    await tx.set(`issue/${id}`, next)
  },
  async deleteIssue(tx, { id }) {
    await tx.del(`issue/${id}`)
  },
  async addComment(tx, { id, issueId, body }) {
    const issue = await tx.get(`issue/${issueId}`)
    const comment = { id, issueId }
    if (issue !== undefined && typeof issue.teamId === 'string') comment.teamId = issue.teamId
    Object.assign(comment, { body, createdBy: args.user })
    await tx.set(`comment/${id}`, comment)
  },
}

let rep
try {
  rep = new Replicache({
    name: args.name,
    kvStore: 'mem',
    schemaVersion: args['schema-version'],
    pushURL,
    pullURL,
    auth,
    pullInterval,
    pushDelay,
    // At least info: "Pull threw" (a refused pull response) is logged at info; logSink prints only --log-level up.
    logLevel: args['log-level'] === 'debug' ? 'debug' : 'info',
    logSinks: [logSink],
    mutators,
  })
} catch (error) {
  fatal('new Replicache failed', error)
}

// Node has no `location`, so the browser defaults (reload) would throw; the driver is told instead.
rep.onClientStateNotFound = () => {
  log('onClientStateNotFound: the client group is disabled from now on')
  recordError('the server answered ClientStateNotFound')
  send({ event: 'clientStateNotFound' })
}
rep.onUpdateNeeded = (reason) => {
  log('onUpdateNeeded:', JSON.stringify(reason))
  recordError(`update needed: ${JSON.stringify(reason)}`)
  send({ event: 'updateNeeded', reason })
}
rep.onOnlineChange = (online) => log(`online: ${online}`)

const pendingMutations = async () => (await rep.experimentalPendingMutations()).map(({ clientID, id, name }) => ({ clientID, id, name }))

const integerField = (command, name, { min, fallback }) => {
  const value = command[name] ?? fallback
  if (!Number.isInteger(value) || value < min) throw new Error(`"${name}" must be an integer >= ${min}, not ${JSON.stringify(command[name])}`)
  return value
}

const mutatorOf = (command) => {
  const name = command.name
  if (typeof name !== 'string' || !Object.hasOwn(mutators, name)) {
    throw new Error(`"name" must be one of ${Object.keys(mutators).join(', ')}, not ${JSON.stringify(name)}`)
  }
  return rep.mutate[name]
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** rep.push / rep.pull resolve in every error case tried, but the docs say the first error may reject: keep both. */
const runRequest = async (what) => {
  let rejected
  try {
    await (what === 'push' ? rep.push({ now: true }) : rep.pull({ now: true }))
  } catch (error) {
    rejected = errorText(error)
    log(`${what} rejected:`, error?.stack ?? rejected)
  }
  return rejected
}

const handlers = {
  async mutate(command) {
    const mutate = mutatorOf(command)
    await mutate(command.args ?? null)
    return {}
  },

  async mutateMany(command) {
    const mutate = mutatorOf(command)
    if (!Array.isArray(command.argsList)) throw new Error('"argsList" must be an array')
    for (let i = 0; i < command.argsList.length; i++) {
      try {
        await mutate(command.argsList[i] ?? null)
      } catch (error) {
        throw new Error(`argsList[${i}] failed after ${i} mutations ran: ${errorText(error)}`)
      }
    }
    return { count: command.argsList.length }
  },

  async push() {
    const since = errorSeq
    const rejected = await runRequest('push')
    return { online: rep.online, pending: (await pendingMutations()).length, errors: errorsSince(since), ...(rejected ? { rejected } : {}) }
  },

  async pull() {
    const since = errorSeq
    const pullsBefore = requests.pull
    const rejected = await runRequest('pull')
    // taken: a pull was answered with 200 and Replicache accepted the answer (nothing went wrong while it ran).
    const taken = requests.pull > pullsBefore && lastPullStatus === 200 && errorSeq === since
    return { online: rep.online, taken, pending: (await pendingMutations()).length, errors: errorsSince(since), ...(rejected ? { rejected } : {}) }
  },

  async sync(command) {
    const timeoutMs = integerField(command, 'timeoutMs', { min: 1, fallback: 30_000 })
    // The errors since the last sync, not only those of this one: the pushes Replicache sends by itself after each
    // mutation fail between syncs, and the driver must see those too.
    const since = reportedSeq
    const deadline = Date.now() + timeoutMs
    let rounds = 0
    let pause = 50
    let pending
    let pulled = false
    // At least one round even when nothing is pending, so the scan after a sync sees the other clients' changes.
    for (;;) {
      rounds++
      // Both promises also resolve when the request failed (server down, non-200); pending tells whether it worked.
      await Promise.race([runRequest('push'), delay(Math.max(0, deadline - Date.now()))])
      const pullsBefore = requests.pull
      const errorsBefore = errorSeq
      const pullDone = await Promise.race([runRequest('pull').then(() => true), delay(Math.max(0, deadline - Date.now())).then(() => false)])
      pending = (await pendingMutations()).length
      // The pull of this round was answered with 200 and Replicache took it (no error while it ran), so the data the
      // server had is in. rep.online is no help: it stays true through 401s and refused responses.
      pulled = pullDone && requests.pull > pullsBefore && lastPullStatus === 200 && errorSeq === errorsBefore
      // Every error of the sync (as far as the log keeps them) and how many there were, so the driver can refuse any
      // it did not expect.
      if (pending === 0 && pulled) {
        reportedSeq = errorSeq
        return { pending, rounds, online: rep.online, errors: errorsSince(since, ErrorsKept), errorCount: errorSeq - since }
      }
      if (Date.now() >= deadline) break
      await delay(Math.min(pause, Math.max(0, deadline - Date.now())))
      pause = Math.min(pause * 2, 1000)
    }
    reportedSeq = errorSeq
    return {
      ok: false,
      error: `timeout after ${timeoutMs} ms (${rounds} rounds): ${pending} mutations pending, last pull ${pulled ? 'taken' : 'failed'}`,
      pending,
      pulled,
      rounds,
      online: rep.online,
      errors: errorsSince(since),
    }
  },

  async scan(command) {
    const prefix = command.prefix ?? ''
    if (typeof prefix !== 'string') throw new Error('"prefix" must be a string')
    const entries = await rep.query(async (tx) => {
      const rows = []
      for await (const [key, value] of tx.scan({ prefix }).entries()) rows.push({ key, value })
      return rows
    })
    // Compared by UTF-16 code unit, as C#'s string.CompareOrdinal does.
    entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    return { entries }
  },

  async status() {
    return {
      clientID: rep.clientID,
      clientGroupID: await rep.clientGroupID,
      online: rep.online,
      pending: (await pendingMutations()).length,
      requests: { ...requests },
      errors: errorsSince(0, 10),
    }
  },

  async pending() {
    const mutations = await pendingMutations()
    return { pending: mutations.length, mutations }
  },
}

let closing
const closeReplicache = () => {
  closing ??= (async () => {
    await within(rep.close(), 15_000, 'rep.close()')
  })()
  return closing
}

const handleLine = async (line) => {
  const found = await commandOf(line, handlers, { cmd: 'close', run: closeReplicache })
  if (found === undefined) return
  const { command, id, handler } = found
  if (closing !== undefined) {
    send({ id, ok: false, error: 'the Replicache instance is closing' })
    return
  }
  try {
    const result = await handler(command)
    send({ id, ok: true, ...result })
  } catch (error) {
    log(`${command.cmd} failed:`, error?.stack ?? errorText(error))
    send({ id, ok: false, error: errorText(error), errors: errorsSince(0, 3) })
  }
}

// Commands run one after another in arrival order, so a scan sent behind a mutate sees it.
let queue = Promise.resolve()
readCommands(
  (line) => {
    queue = queue.then(() => handleLine(line)).catch((error) => fatal('command handling failed', error))
  },
  () => {
    // The driver went away (or closed stdin on purpose): finish what was sent, close, then go.
    queue
      .then(() => closeReplicache())
      .then(
        () => process.exit(0),
        (error) => fatal('close after end of input failed', error),
      )
  },
)

let clientGroupID
let profileID
try {
  ;[clientGroupID, profileID] = await Promise.all([rep.clientGroupID, rep.profileID])
} catch (error) {
  fatal('the Replicache instance did not open', error)
}
log(`replicache ${args.name} ready as user ${args.user}: clientID ${rep.clientID}, clientGroupID ${clientGroupID}, push ${pushURL}, pull ${pullURL}`)
send({ event: 'ready', clientID: rep.clientID, clientGroupID, profileID, name: args.name, user: args.user, pid: process.pid })
