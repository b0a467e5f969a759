// The Loco Sync adapter's catch-up against its floor, on a server the bench filled (Tether.Bench `loco-catch-up`):
// an eager bootstrap of every model, and a delta over the whole log, each read through the adapter (parsed,
// checked and translated into Loco's shapes) and raw (the same requests: the bootstrap's bytes only, the delta's
// pages parsed just enough to follow them). Floor and adapter alternate, so both see the same load.
//
//   node catch-up.mjs --url http://127.0.0.1:PORT/sync --token dev:bench --records N [--rounds 5]
//
// Prints a Markdown table of each round and the medians; exits 1 when a read does not return every record or action.

import { parseArgs } from 'node:util'
import { createTetherNetworkAdapter } from '../../clients/loco-sync/dist/index.js'

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    token: { type: 'string' },
    records: { type: 'string' },
    rounds: { type: 'string', default: '5' },
  },
})
const base = values.url
const records = Number(values.records)
const rounds = Number(values.rounds)
const models = ['team', 'member', 'project', 'issue', 'comment']
const headers = { Authorization: `Bearer ${values.token}` }

const timed = async (read) => {
  const started = performance.now()
  const count = await read()
  return { count, seconds: (performance.now() - started) / 1000 }
}

const rawBootstrap = async () => {
  const response = await fetch(`${base}/bootstrap`, {
    method: 'POST',
    headers: { ...headers, 'Content-Type': 'application/json', Accept: 'application/x-ndjson' },
    body: JSON.stringify({ type: 'eager', models }),
  })
  if (!response.ok) throw new Error(`raw bootstrap answered ${response.status}`)
  // Bytes only; the count is the end line's, kept from the last chunks (the end line is short and last).
  let tail = Buffer.alloc(0)
  for await (const chunk of response.body) tail = Buffer.concat([tail.subarray(-256), chunk.subarray(-256)])
  const end = JSON.parse(tail.toString('utf8').trimEnd().split('\n').at(-1))
  return end.type === 'end' ? end.rowCount : -1
}

const rawDelta = async (head) => {
  let cursor = 0
  let actions = 0
  for (;;) {
    const response = await fetch(`${base}/delta?from=${cursor}&to=${head}`, { headers })
    if (!response.ok) throw new Error(`raw delta answered ${response.status}`)
    const page = await response.json()
    actions += page.sync.length
    cursor = page.lastSyncId
    if (!page.hasMore) return actions
  }
}

const failures = []
const adapter = createTetherNetworkAdapter({ url: base, token: values.token, clientId: 'bench-loco', log: (line) => failures.push(line) })

const bootstrapThroughAdapter = async () => {
  const result = await adapter.bootstrap({ type: 'eager', models })
  if (!result.ok) throw new Error(`the adapter's bootstrap failed: ${result.error} (${failures.join('; ')})`)
  return result.value
}
const adapterBootstrap = async () =>
  Object.values((await bootstrapThroughAdapter()).bootstrap).reduce((sum, rows) => sum + rows.length, 0)

const adapterDelta = async (head) => {
  const result = await adapter.deltaSync(0, head)
  if (!result.ok) throw new Error(`the adapter's delta failed: ${result.error} (${failures.join('; ')})`)
  return result.value.sync.length
}

const check = (what, figures, expected) => {
  if (figures.count !== expected) {
    console.error(`${what} returned ${figures.count}, not ${expected}`)
    process.exit(1)
  }
  return figures
}

// One unrecorded round first: the server's caches, the JIT on both sides.
const head = (await bootstrapThroughAdapter()).firstSyncId
const actions = await rawDelta(head)
await adapterDelta(head)

const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]
const rows = { bootstrapFloor: [], bootstrap: [], deltaFloor: [], delta: [] }
console.log(`Loco Sync adapter catch-up: ${records} records, ${actions} actions in the log (head ${head}), ${rounds} rounds.`)
console.log('| round | bootstrap floor rows/s | adapter rows/s | x floor | delta floor actions/s | adapter actions/s | x floor |')
console.log('|---:|---:|---:|---:|---:|---:|---:|')
const perSecond = (figures) => figures.count / figures.seconds
for (let round = 1; round <= rounds; round++) {
  const bootstrapFloor = perSecond(check('the raw bootstrap', await timed(rawBootstrap), records))
  const bootstrap = perSecond(check('the adapter\'s bootstrap', await timed(adapterBootstrap), records))
  const deltaFloor = perSecond(check('the raw delta', await timed(() => rawDelta(head)), actions))
  const delta = perSecond(check('the adapter\'s delta', await timed(() => adapterDelta(head)), actions))
  Object.entries({ bootstrapFloor, bootstrap, deltaFloor, delta }).forEach(([key, value]) => rows[key].push(value))
  console.log(`| ${round} | ${bootstrapFloor.toFixed(0)} | ${bootstrap.toFixed(0)} | ${(bootstrap / bootstrapFloor).toFixed(3)} | ${deltaFloor.toFixed(0)} | ${delta.toFixed(0)} | ${(delta / deltaFloor).toFixed(3)} |`)
}
const m = Object.fromEntries(Object.entries(rows).map(([key, list]) => [key, median(list)]))
console.log(`| median | ${m.bootstrapFloor.toFixed(0)} | ${m.bootstrap.toFixed(0)} | ${(m.bootstrap / m.bootstrapFloor).toFixed(3)} | ${m.deltaFloor.toFixed(0)} | ${m.delta.toFixed(0)} | ${(m.delta / m.deltaFloor).toFixed(3)} |`)
