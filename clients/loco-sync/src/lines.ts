/** Calls `onLine` for every line of a streamed body as it arrives (`\n` or `\r\n` ends a line); returns the text
 * after the last line end, which is empty when the body ended with a whole line. `onLine` returning false stops
 * reading. */
export const readLines = async (body: ReadableStream<Uint8Array>, onLine: (line: string) => boolean | void): Promise<string> => {
  const reader = body.getReader();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let rest = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      rest += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let end: number;
      while ((end = rest.indexOf('\n')) >= 0) {
        const line = rest.slice(0, end);
        rest = rest.slice(end + 1);
        if (onLine(line.endsWith('\r') ? line.slice(0, -1) : line) === false) return rest;
      }
      if (done) return rest;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
};

/** Calls `onData` with the data of every Server-Sent Event of a streamed body (Tether's events carry only `data`
 * and `id`). `onData` returning false stops reading. */
export const readEvents = (body: ReadableStream<Uint8Array>, onData: (data: string) => boolean | void): Promise<string> => {
  let data: string[] = [];
  return readLines(body, (line) => {
    if (line === '') {
      const event = data.join('\n');
      data = [];
      return event === '' ? true : onData(event);
    }
    if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
    return true;
  });
};
