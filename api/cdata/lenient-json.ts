// The CData layer's body reader. Strict JSON first; when that fails, two repairs only, for the
// bodies the CData documentation prints and clients send verbatim:
//   - an unquoted object key made of identifier characters (`{ tasks: [...] }`) is quoted;
//   - brackets and braces still open at the end of the input are closed (`{ "a": { "b": 1 }`).
// Anything else malformed (single quotes, trailing commas, a stray closer, an unterminated string,
// a truncated value) is still an error. No dependency: a small scanner, then JSON.parse.

export class LenientJsonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LenientJsonError';
  }
}

const IDENTIFIER_START = /[A-Za-z_$]/;
const IDENTIFIER_PART = /[A-Za-z0-9_$]/;
const WHITESPACE = /[ \t\n\r]/;
const CLOSER: Record<string, string> = { '{': '}', '[': ']' };

/**
 * Parses `text` as JSON with the two repairs above. Empty or whitespace-only input is
 * `undefined` (no body). Throws LenientJsonError naming the problem otherwise.
 */
export function parseLenientJson(text: string): unknown {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (source.trim() === '') return undefined;
  let strictMessage: string;
  try {
    return JSON.parse(source) as unknown;
  } catch (err) {
    strictMessage = err instanceof Error ? err.message : String(err);
  }
  const { text: repaired, origin } = repairWithOrigin(source);
  try {
    return JSON.parse(repaired) as unknown;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // A message with a position is mapped back to the text as sent; one that quotes the repaired
    // text instead would show the client a body it never sent, so the strict message stands.
    throw new LenientJsonError(`Malformed JSON body: ${/at position \d+/.test(message) ? positionInSource(message, source, origin) : strictMessage}`);
  }
}

/** JSON.parse names a position in the repaired text: name the same spot in the text as sent. */
function positionInSource(message: string, source: string, origin: number[]): string {
  return message.replace(/at position (\d+)(?: \(line \d+ column \d+\))?/, (_match, at: string) => {
    const position = origin[Number(at)] ?? source.length;
    const before = source.slice(0, position).split('\n');
    return `at position ${position} (line ${before.length} column ${before.at(-1)!.length + 1})`;
  });
}

/** Quotes bare object keys and closes what is left open; throws only for what no repair can fix. */
export function repair(source: string): string {
  return repairWithOrigin(source).text;
}

/** The repaired text, and for each of its characters the position in `source` it stands for. */
function repairWithOrigin(source: string): { text: string; origin: number[] } {
  const out: string[] = [];
  const origin: number[] = [];
  const emit = (chunk: string, at: (k: number) => number) => {
    out.push(chunk);
    for (let k = 0; k < chunk.length; k++) origin.push(at(k));
  };
  const open: string[] = [];
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    const start = i;
    if (ch === '"') {
      const end = stringEnd(source, i);
      if (end < 0) throw new LenientJsonError(`Malformed JSON body: unterminated string starting at position ${i}`);
      emit(source.slice(i, end + 1), (k) => start + k);
      i = end + 1;
    } else if (ch === '{' || ch === '[') {
      open.push(ch);
      emit(ch, () => start);
      i++;
    } else if (ch === '}' || ch === ']') {
      const top = open.pop();
      if (top === undefined || CLOSER[top] !== ch) {
        throw new LenientJsonError(`Malformed JSON body: unexpected "${ch}" at position ${i}`);
      }
      emit(ch, () => start);
      i++;
    } else if (IDENTIFIER_START.test(ch)) {
      let end = i + 1;
      while (end < source.length && IDENTIFIER_PART.test(source[end]!)) end++;
      const word = source.slice(i, end);
      let next = end;
      while (next < source.length && WHITESPACE.test(source[next]!)) next++;
      // A bare word is a key only where a key may stand: directly inside an object, before a colon.
      if (open.at(-1) === '{' && source[next] === ':') {
        emit(JSON.stringify(word), (k) => Math.min(Math.max(start + k - 1, start), end - 1));
      } else {
        emit(word, (k) => start + k);
      }
      i = end;
    } else {
      emit(ch, () => start);
      i++;
    }
  }
  for (let k = open.length - 1; k >= 0; k--) emit(CLOSER[open[k]!]!, () => source.length);
  return { text: out.join(''), origin };
}

/** Index of the quote closing the string that opens at `start`, or -1 when it never closes. */
function stringEnd(source: string, start: number): number {
  for (let i = start + 1; i < source.length; i++) {
    const ch = source[i];
    if (ch === '\\') i++;
    else if (ch === '"') return i;
  }
  return -1;
}
