// Node 20 has no global WebSocket, and @livestore/sync-cf 0.4.0 opens its socket through globalThis.WebSocket: without
// this preload the store keeps running local-only and logs "globalThis.WebSocket is not a constructor".
// Node 22+ has the global built in, so an existing one is left alone.
import { WebSocket } from 'ws'

if (typeof globalThis.WebSocket !== 'function') {
  globalThis.WebSocket = WebSocket
}
