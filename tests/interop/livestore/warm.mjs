// LiveStore's Node adapter imports @effect/platform-node, which loads undici 7. When undici 7 is loaded before Node 20's
// built-in fetch has been used, it installs its own global dispatcher, which Node 20's fetch cannot drive: every POST of
// the HTTP sync transport then fails with "invalid content-length header". One fetch before LiveStore is imported makes
// Node's own dispatcher the global one. Only the call matters, not its answer, so a refused connection is fine.
//
// Preload with `node --import ./warm.mjs` (before any LiveStore import). The URL comes from LIVESTORE_WARM_URL; without
// it a port that is normally closed is used, since the request only has to be made.
const url = process.env.LIVESTORE_WARM_URL || 'http://127.0.0.1:9/'

try {
  const response = await fetch(url, { signal: AbortSignal.timeout(2000) })
  await response.body?.cancel()
} catch {
  // Expected when nothing listens there (or the server is not up yet); the dispatcher is installed either way.
}

globalThis.__tetherFetchWarmed = true
