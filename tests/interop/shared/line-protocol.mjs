// The line protocol every interop harness (tests/interop/*/client.mjs) speaks with its xunit driver
// (tests/Shared/Interop/NodeLineProcess.cs): one JSON object per line on stdin (commands) and on stdout (answers and
// events), every log on stderr.
//
// Importing this module first installs the stdout guard: libraries log through console.log, which would corrupt the
// protocol, so from then on only send() reaches stdout and everything else written there goes to stderr.

import readline from 'node:readline'

const writeProtocolLine = process.stdout.write.bind(process.stdout)
process.stdout.write = process.stderr.write.bind(process.stderr)

/** Writes one protocol line (an answer or an event) to stdout. */
export const send = (message) => {
  writeProtocolLine(`${JSON.stringify(message)}\n`)
}

/** Writes a timestamped log line to stderr, which the driver keeps as the process's log tail. */
export const log = (...parts) => {
  process.stderr.write(`[client.mjs ${new Date().toISOString()}] ${parts.join(' ')}\n`)
}

/** A readable text for anything thrown or rejected. */
export const errorText = (error) => {
  if (error instanceof Error) return error.message || String(error)
  if (typeof error === 'string') return error
  try {
    return JSON.stringify(error)
  } catch {
    return String(error)
  }
}

// Exits on purpose with the reason both on stderr (for people) and as a line on stdout (so the driver fails at once
// instead of waiting for an answer that will never come).
export const fatal = (message, error) => {
  log('FATAL:', message, error === undefined ? '' : error instanceof Error ? (error.stack ?? errorText(error)) : errorText(error))
  send({ event: 'fatal', error: error === undefined ? message : `${message}: ${errorText(error)}` })
  process.exit(1)
}

process.on('uncaughtException', (error) => fatal('uncaught exception', error))
process.on('unhandledRejection', (error) => fatal('unhandled promise rejection', error))

/** Calls onLine for every line on stdin and onEnd once stdin is closed. */
export const readCommands = (onLine, onEnd) => {
  const input = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
  input.on('line', onLine)
  input.on('close', onEnd)
}

/** Rejects with "<what> did not finish within N s" when promise has not settled after ms. */
export const within = (promise, ms, what) =>
  Promise.race([
    promise,
    new Promise((_, reject) => {
      setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms).unref()
    }),
  ])

/**
 * Reads one command line. A blank line, a line that is not JSON and an unknown command give undefined (the last two
 * answered as failures; a line that is not JSON with id null, which the driver reports). The final command (final.cmd)
 * runs final.run, is answered and ends the process: exit 0, or 1 after answering its failure. Any other command gives
 * { command, id, handler } to run.
 */
export const commandOf = async (line, handlers, final) => {
  if (line.trim() === '') return undefined
  let command
  try {
    command = JSON.parse(line)
  } catch (error) {
    send({ id: null, ok: false, error: `not JSON: ${errorText(error)}` })
    return undefined
  }
  const id = command?.id ?? null
  if (command?.cmd === final.cmd) {
    try {
      await final.run()
    } catch (error) {
      log(`${final.cmd} failed:`, error?.stack ?? errorText(error))
      send({ id, ok: false, error: errorText(error) })
      process.exit(1)
    }
    send({ id, ok: true })
    process.exit(0)
  }
  if (!Object.hasOwn(handlers, command?.cmd)) {
    send({ id, ok: false, error: `unknown cmd ${JSON.stringify(command?.cmd)}` })
    return undefined
  }
  return { command, id, handler: handlers[command.cmd] }
}
