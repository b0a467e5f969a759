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

/**
 * Reads one command line. Blank lines and lines that are not JSON give undefined (the latter answered with id null,
 * which the driver reports); otherwise the command and its id (null when it has none).
 */
export const parseCommand = (line) => {
  if (line.trim() === '') return undefined
  let command
  try {
    command = JSON.parse(line)
  } catch (error) {
    send({ id: null, ok: false, error: `not JSON: ${errorText(error)}` })
    return undefined
  }
  return { command, id: command?.id ?? null }
}

/** The command that ends the process: runs finish, answers, and exits with 0, or with 1 after answering the failure. */
export const finishAndExit = async (id, name, finish) => {
  try {
    await finish()
  } catch (error) {
    log(`${name} failed:`, error?.stack ?? errorText(error))
    send({ id, ok: false, error: errorText(error) })
    process.exit(1)
  }
  send({ id, ok: true })
  process.exit(0)
}

/** The handler of a command, or undefined after answering that the command is unknown. */
export const handlerFor = (handlers, command, id) => {
  if (Object.hasOwn(handlers, command?.cmd)) return handlers[command.cmd]
  send({ id, ok: false, error: `unknown cmd ${JSON.stringify(command?.cmd)}` })
  return undefined
}
