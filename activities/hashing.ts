// Content hashes for change detection: two objects that differ only in key order hash the same,
// while array order and value types (1 vs "1") still count, as in OpenConnector's origin hash.
import * as crypto from 'node:crypto';

/**
 * JSON.stringify with object keys sorted (by UTF-16 code units) at every level. Follows
 * JSON.stringify otherwise: `toJSON` is honoured (Dates), undefined/function/symbol properties are
 * left out (and become null inside arrays), non-finite numbers become null, bigint throws.
 * A top-level value that JSON.stringify would drop (undefined) renders as "null".
 */
export function stableStringify(value: unknown): string {
  return write(value) ?? 'null';
}

/** Hex SHA-256 of stableStringify(value). */
export function hashObject(value: unknown): string {
  return sha256Hex(stableStringify(value));
}

/**
 * The value's stable JSON and its hash (that of hashObject). The JSON is what the register and
 * a destination store of the value, so it is written as it is instead of stringifying the value a
 * second time.
 */
export function hashedJson(value: unknown): { json: string; hash: string } {
  const json = stableStringify(value);
  return { json, hash: sha256Hex(json) };
}

// The one-shot crypto.hash (Node 20.12+) is about three times faster than a Hash object for
// inputs of a record's size, with the same digest; older Node 20 releases lack it.
const oneShot = typeof (crypto as { hash?: unknown }).hash === 'function' ? crypto.hash : undefined;
/** Hex SHA-256 of a text. */
export const sha256Hex = oneShot ? (text: string) => oneShot('sha256', text, 'hex') : (text: string) => crypto.createHash('sha256').update(text).digest('hex');
/**
 * Writes the SHA-256 of bytes into `target` at `offset` (32 bytes). The digest comes as a binary
 * string, whose characters are its bytes: a Buffer per digest costs an ArrayBuffer of its own, and
 * took 1.3–2.7 µs a record against 0.55–0.9 µs this way.
 */
export const sha256Into = oneShot
  ? (bytes: Uint8Array, target: Buffer, offset: number) => void target.write(oneShot('sha256', bytes, 'binary'), offset, 'latin1')
  : (bytes: Uint8Array, target: Buffer, offset: number) => void crypto.createHash('sha256').update(bytes).digest().copy(target, offset);

// Writes the string in one pass instead of building sorted copies first; undefined means
// "omit this value" (the JSON.stringify rule for properties).
function write(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return quoteString(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    case 'bigint':
      throw new TypeError('Cannot hash a bigint value');
    default: // undefined, function, symbol
      return undefined;
  }
  if (value === null) return 'null';
  const withToJson = value as { toJSON?: unknown };
  if (typeof withToJson.toJSON === 'function') return write((withToJson.toJSON as () => unknown).call(value));

  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      out += write(value[i]) ?? 'null';
    }
    return out + ']';
  }

  const record = value as Record<string, unknown>;
  const keys = sortKeys(Object.keys(record));
  let out = '{';
  let first = true;
  for (const key of keys) {
    const rendered = write(record[key]);
    if (rendered === undefined) continue;
    out += first ? quoteKey(key) + rendered : ',' + quoteKey(key) + rendered;
    first = false;
  }
  return out + '}';
}

// Most strings need no escaping; skipping the JSON.stringify call for them is measurably faster.
// A string qualifies when it has none of what JSON.stringify escapes (quote, backslash, control
// characters, lone surrogates); to stay simple, anything from DEL (0x7f) up also takes the slow path.
function quoteString(text: string): string {
  if (text.length > 64) return JSON.stringify(text);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x22 || code === 0x5c || code >= 0x7f) return JSON.stringify(text);
  }
  return '"' + text + '"';
}

// Records repeat the same few keys millions of times: remember their quoted form. Bounded so
// that sources with unbounded key sets (maps keyed by id) cannot grow it forever.
const quotedKeys = new Map<string, string>();
const MAX_QUOTED_KEYS = 10_000;

function quoteKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key) + ':';
    if (quotedKeys.size < MAX_QUOTED_KEYS) quotedKeys.set(key, quoted);
  }
  return quoted;
}

// Insertion sort beats Array#sort on the handful of keys a record usually has; both order by
// UTF-16 code units, so the output does not depend on which one ran.
function sortKeys(keys: string[]): string[] {
  if (keys.length > 16) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > key) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}
