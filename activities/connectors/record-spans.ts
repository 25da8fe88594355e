// Where each record of a JSON answer lies in its bytes, found without parsing them: what lets an
// import digest every record's bytes and parse only those it has not met before. The scanner
// only tells values apart (strings, brackets, commas); it does not check them. What it returns
// is checked where it is used: the rest of the body is parsed around the records' list, and a
// record is either parsed or byte for byte one parsed before.

/** The records' list in a body, and each record in it. */
export interface RecordSpans {
  /** Offset of the list's `[`, and one past its `]`. */
  listStart: number;
  listEnd: number;
  /** Each record's first byte (its `{`) and one past its last (its `}`). */
  starts: number[];
  ends: number[];
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

/**
 * The records' list where `readPath` with `resultsPosition` (or, without one, the first of
 * `defaultPositions` holding a list, else the body itself) would find it, with every record's
 * place. Undefined where the body is anything else than such a list of objects, or the path leads
 * through something the scanner does not follow (a list, a key written with escapes): the answer
 * is then parsed whole, which also says what is wrong with it. The bytes are passed over once: the
 * list is scanned record by record where it is met, not skipped first and found again.
 */
export function findRecordSpans(bytes: Uint8Array, resultsPosition: string | undefined, defaultPositions: readonly string[]): RecordSpans | undefined {
  const scanner = new Scanner(bytes);
  // A byte-order mark is not part of the JSON (the UTF-8 decoder drops it).
  const bodyStart = scanner.whitespace(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0);
  const first = bytes[bodyStart];
  if (resultsPosition === undefined) {
    if (first === OPEN_BRACKET) return scanner.records(bodyStart);
    if (first !== OPEN_BRACE) return undefined;
    const found = scanner.find(bodyStart, defaultPositions.map((key) => [key]));
    return found ? defaultPositions.map((_, i) => found.lists[i]).find((list) => list !== undefined) : undefined;
  }
  if (resultsPosition === '' || resultsPosition === '_root') return first === OPEN_BRACKET ? scanner.records(bodyStart) : undefined;
  if (first !== OPEN_BRACE) return undefined;
  return scanner.find(bodyStart, [resultsPosition.split('.')])?.lists[0];
}

/** What `find` found in an object: the list at each path (undefined where there is none), and where the object ends. */
interface Found {
  lists: (RecordSpans | undefined)[];
  end: number;
}

class Scanner {
  private readonly encoder = new TextEncoder();
  private readonly length: number;

  constructor(private readonly bytes: Uint8Array) {
    this.length = bytes.length;
  }

  whitespace(at: number): number {
    const b = this.bytes;
    for (;;) {
      const c = b[at];
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return at;
      at++;
    }
  }

  /** One past a string's closing quote; `at` is its opening quote. -1 when it does not end. */
  string(at: number): number {
    const b = this.bytes;
    const length = this.length;
    for (let i = at + 1; i < length; i++) {
      const c = b[i];
      if (c === QUOTE) return i + 1;
      if (c === BACKSLASH) i++;
    }
    return -1;
  }

  /** One past the value starting at `at`; -1 when it does not end. */
  value(at: number): number {
    const b = this.bytes;
    const c = b[at];
    if (c === QUOTE) return this.string(at);
    if (c === OPEN_BRACE || c === OPEN_BRACKET) return this.container(at);
    // A number, true, false or null: up to what ends a value.
    let end = at;
    for (;;) {
      const d = b[end];
      if (d === undefined || d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) break;
      end++;
    }
    return end > at ? end : -1;
  }

  /** One past an object or list; `at` is its opening bracket. -1 when it does not end. */
  container(at: number): number {
    const b = this.bytes;
    const length = this.length;
    let depth = 0;
    for (let i = at; i < length; i++) {
      const c = b[i];
      if (c === QUOTE) {
        // The string, inline: most are short, and a call per string costs more than its bytes.
        for (i++; i < length; i++) {
          const d = b[i];
          if (d === QUOTE) break;
          if (d === BACKSLASH) i++;
        }
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        depth++;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        if (--depth === 0) return i + 1;
      }
    }
    return -1;
  }

  /**
   * The lists at `paths` (each a key path) in the object at `at`, following each key's last
   * occurrence as JSON.parse keeps it; undefined when the object cannot be followed, or a key is
   * written with escapes (it might read as one of the keys looked for).
   */
  find(at: number, paths: readonly (readonly string[])[]): Found | undefined {
    const b = this.bytes;
    const keys = paths.map((path) => this.encoder.encode(path[0]));
    const lists: (RecordSpans | undefined)[] = paths.map(() => undefined);
    let i = this.whitespace(at + 1);
    if (b[i] === CLOSE_BRACE) return { lists, end: i + 1 };
    for (;;) {
      if (b[i] !== QUOTE) return undefined;
      const keyEnd = this.string(i);
      if (keyEnd < 0) return undefined;
      const keyStart = i + 1;
      const keyLength = keyEnd - 1 - keyStart;
      if (b.subarray(keyStart, keyEnd - 1).includes(BACKSLASH)) return undefined;
      i = this.whitespace(keyEnd);
      if (b[i] !== COLON) return undefined;
      const valueStart = this.whitespace(i + 1);
      let valueEnd = -1;
      for (let p = 0; p < paths.length; p++) {
        const key = keys[p]!;
        if (key.length !== keyLength || !equalBytes(b, keyStart, key)) continue;
        // This key's value, at the path's end a list of records, else an object to go on in.
        const path = paths[p]!;
        let list: RecordSpans | undefined;
        if (path.length === 1) {
          list = b[valueStart] === OPEN_BRACKET ? this.records(valueStart) : undefined;
          if (list) valueEnd = list.listEnd;
        } else if (b[valueStart] === OPEN_BRACE) {
          const inner = this.find(valueStart, [path.slice(1)]);
          if (!inner) return undefined;
          list = inner.lists[0];
          valueEnd = inner.end;
        }
        lists[p] = list;
      }
      if (valueEnd < 0) valueEnd = this.value(valueStart);
      if (valueEnd < 0) return undefined;
      i = this.whitespace(valueEnd);
      if (b[i] === COMMA) i = this.whitespace(i + 1);
      else if (b[i] === CLOSE_BRACE) return { lists, end: i + 1 };
      else return undefined;
    }
  }

  /** The list at `at` and its records; undefined unless every element is an object. */
  records(at: number): RecordSpans | undefined {
    const b = this.bytes;
    const starts: number[] = [];
    const ends: number[] = [];
    let i = this.whitespace(at + 1);
    if (b[i] === CLOSE_BRACKET) return { listStart: at, listEnd: i + 1, starts, ends };
    for (;;) {
      if (b[i] !== OPEN_BRACE) return undefined;
      const end = this.container(i);
      if (end < 0) return undefined;
      starts.push(i);
      ends.push(end);
      i = this.whitespace(end);
      if (b[i] === COMMA) i = this.whitespace(i + 1);
      else if (b[i] === CLOSE_BRACKET) return { listStart: at, listEnd: i + 1, starts, ends };
      else return undefined;
    }
  }
}

function equalBytes(b: Uint8Array, at: number, other: Uint8Array): boolean {
  for (let j = 0; j < other.length; j++) if (b[at + j] !== other[j]) return false;
  return true;
}
