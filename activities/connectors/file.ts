// The file connector: a directory of CSV (RFC 4180) or JSON Lines files. As a source, one call
// reads one page starting at a byte offset carried in the cursor, so a file is never read whole
// and never re-scanned from its start (a CSV header is re-read per page, which costs one small
// read). As a destination, each page becomes one file, written atomically under a name fixed by
// (run, page), so a retried page replaces its file instead of adding another.
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { SyncError } from '../errors';
import { KEY_COLUMN } from './postgres-destination';
import type { JsonObject, JsonValue, SourcePage } from './types';

export type FileFormat = 'csv' | 'jsonl';

export interface FileConfig {
  directory: string;
  /** Applies to every file; unset, each file's extension decides (.jsonl/.ndjson → jsonl, else csv). */
  format?: FileFormat;
}

/** Bytes read per file read; a page of ~100-byte records needs a handful. */
const CHUNK_BYTES = 64 * 1024;
/**
 * The longest record (or CSV header) accepted. Without a bound, one unterminated quote near the
 * start of a large file would pull the rest of the file into memory looking for its end.
 */
const MAX_RECORD_BYTES = 32 * 1024 * 1024;
/** Extensions of the files discovery and the connection test count as data files. */
export const DATA_FILE_EXTENSIONS: Record<string, FileFormat> = { '.csv': 'csv', '.jsonl': 'jsonl', '.ndjson': 'jsonl' };

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const COMMA = 0x2c;

// ---- paths and formats ----------------------------------------------------------------------

/** The format a file is read in: the configured one, else from its extension, else csv. */
export function fileFormat(config: FileConfig, file: string): FileFormat {
  if (config.format !== undefined) {
    if (config.format !== 'csv' && config.format !== 'jsonl') {
      throw new SyncError('FILE_CONFIG_INVALID', `Unknown file format "${String(config.format)}" (expected csv or jsonl)`, false);
    }
    return config.format;
  }
  return DATA_FILE_EXTENSIONS[path.extname(file).toLowerCase()] ?? 'csv';
}

function configuredDirectory(config: FileConfig): string {
  if (typeof config?.directory !== 'string' || config.directory.trim() === '') {
    throw new SyncError('FILE_CONFIG_INVALID', 'A file connection needs config.directory', false);
  }
  return path.resolve(config.directory);
}

/** Resolves a relative path inside the directory; absolute paths and `..` escapes are refused. */
export function resolveInside(config: FileConfig, relative: string): string {
  const directory = configuredDirectory(config);
  const invalid = (why: string) => new SyncError('FILE_PATH_INVALID', `Invalid file path ${JSON.stringify(relative)}: ${why}`, false);
  if (typeof relative !== 'string' || relative.trim() === '') throw invalid('it is empty');
  if (relative.includes('\0')) throw invalid('it contains a NUL byte');
  if (path.isAbsolute(relative) || path.win32.isAbsolute(relative)) throw invalid('it must be relative to the connection directory');
  const resolved = path.resolve(directory, relative);
  const inside = path.relative(directory, resolved);
  if (inside === '' || inside === '..' || inside.startsWith(`..${path.sep}`) || path.isAbsolute(inside)) {
    throw invalid('it leaves the connection directory');
  }
  return resolved;
}

function fsError(err: unknown, what: string): SyncError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const detail = err instanceof Error ? err.message : String(err);
  if (code === 'ENOENT' || code === 'ENOTDIR') return new SyncError('FILE_NOT_FOUND', `${what} does not exist`, false);
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return new SyncError('FILE_ACCESS_DENIED', `${what}: ${detail}`, false);
  // Anything else (EIO, EMFILE, ENOSPC, a stale network mount…) may pass.
  return new SyncError('FILE_IO_ERROR', `${what}: ${detail}`, true);
}

// ---- cursor ---------------------------------------------------------------------------------

// "<byte offset of the next record>:<its line number>". The line number only serves messages.
interface FilePosition {
  offset: number;
  line: number;
}

function encodeCursor(position: FilePosition): string {
  return `${position.offset}:${position.line}`;
}

function decodeCursor(cursor: string): FilePosition {
  const match = /^(\d{1,15}):(\d{1,15})$/.exec(cursor);
  const offset = Number(match?.[1]);
  const line = Number(match?.[2]);
  if (!match || !Number.isSafeInteger(offset) || !Number.isSafeInteger(line) || line < 1) {
    throw new SyncError('FILE_BAD_CURSOR', `Invalid file cursor "${cursor.slice(0, 100)}"`, false);
  }
  return { offset, line };
}

// ---- reading --------------------------------------------------------------------------------

/**
 * A sliding window over a file: `buf` holds the bytes from file offset `base`, `pos` is where
 * parsing stands. `more()` keeps the unparsed tail and appends the next read. A record that does
 * not fit doubles the read size, so a long record costs linear, not quadratic, copying.
 */
class FileWindow {
  buf: Buffer = Buffer.alloc(0);
  pos = 0;
  eof = false;
  /** Line number at `pos` (1-based), maintained by the parsers. */
  line: number;

  constructor(
    private readonly handle: FileHandle,
    public base: number,
    line: number,
    private readonly name: string,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.line = line;
  }

  get offset(): number {
    return this.base + this.pos;
  }

  get available(): number {
    return this.buf.length - this.pos;
  }

  /** Reads more bytes; false at end of file (then `eof` is set). */
  async more(): Promise<boolean> {
    if (this.eof) return false;
    this.signal?.throwIfAborted();
    const keep = this.buf.length - this.pos;
    if (keep > MAX_RECORD_BYTES) {
      throw new SyncError(
        'FILE_BAD_RECORD',
        `line ${this.line}: a record is longer than ${MAX_RECORD_BYTES / 1024 / 1024} MiB (an unterminated quote?) in ${this.name}`,
        false,
      );
    }
    const want = Math.max(CHUNK_BYTES, keep);
    const next = Buffer.allocUnsafe(keep + want);
    this.buf.copy(next, 0, this.pos);
    const readAt = this.base + this.buf.length;
    let bytesRead: number;
    try {
      ({ bytesRead } = await this.handle.read(next, keep, want, readAt));
    } catch (err) {
      throw fsError(err, `Reading ${this.name}`);
    }
    this.base += this.pos;
    this.pos = 0;
    this.buf = next.subarray(0, keep + bytesRead);
    if (bytesRead === 0) this.eof = true;
    return bytesRead > 0;
  }

  /** Skips a UTF-8 byte order mark at the very start of the file. */
  async skipBom(): Promise<void> {
    if (this.offset !== 0) return;
    while (this.available < 3 && (await this.more()));
    const b = this.buf;
    if (this.available >= 3 && b[this.pos] === 0xef && b[this.pos + 1] === 0xbb && b[this.pos + 2] === 0xbf) this.pos += 3;
  }

  /**
   * Skips empty lines (CSV and JSONL both ignore them). Returns false when only the end of the
   * file is left, so the caller knows the page was the last one.
   */
  async skipBlankLines(): Promise<boolean> {
    for (;;) {
      const b = this.buf;
      while (this.pos < b.length) {
        const c = b[this.pos];
        if (c === LF) {
          this.pos++;
          this.line++;
        } else if (c === CR) {
          // A CR at the end of the window may be the first half of a CRLF: look further first.
          if (this.pos + 1 >= b.length && !this.eof) break;
          this.pos += b[this.pos + 1] === LF ? 2 : 1;
          this.line++;
        } else {
          return true;
        }
      }
      if (!(await this.more()) && this.available === 0) return false;
    }
  }
}

interface CsvRecord {
  fields: string[];
  /** Index in the buffer just past the record's line break. */
  end: number;
  /** Line breaks consumed, those inside quoted fields included. */
  lines: number;
}

function countLineBreaks(buf: Buffer, from: number, to: number): number {
  // A plain loop: quoted fields are short, and indexOf would search on past `to`.
  let count = 0;
  for (let i = from; i < to; i++) {
    const c = buf[i];
    if (c === LF || (c === CR && buf[i + 1] !== LF)) count++;
  }
  return count;
}

function badRecord(line: number, problem: string, name: string): SyncError {
  return new SyncError('FILE_BAD_RECORD', `line ${line}: ${problem} in ${name}`, false);
}

/**
 * Parses one RFC 4180 record starting at `start`. Returns null when the window ends before the
 * record provably does (a closing quote or CR as the last byte may be followed by a `"` or LF),
 * unless `eof`. Field boundaries are ASCII, so parsing bytes never splits a UTF-8 character.
 */
function parseCsvRecord(buf: Buffer, start: number, eof: boolean, line: number, name: string): CsvRecord | null {
  const n = buf.length;
  const fields: string[] = [];
  let lines = 0;
  let i = start;
  for (;;) {
    let c: number | undefined;
    if (buf[i] === QUOTE) {
      // Quoted field: up to the next quote not doubled.
      let j = i + 1;
      let escaped = false;
      let close: number;
      for (;;) {
        const q = buf.indexOf(QUOTE, j);
        if (q === -1) {
          if (eof) throw badRecord(line, 'unterminated quoted field', name);
          return null;
        }
        if (q + 1 >= n && !eof) return null;
        if (buf[q + 1] === QUOTE) {
          escaped = true;
          j = q + 2;
          continue;
        }
        close = q;
        break;
      }
      lines += countLineBreaks(buf, i + 1, close);
      const value = buf.toString('utf8', i + 1, close);
      fields.push(escaped ? value.replaceAll('""', '"') : value);
      i = close + 1;
      c = buf[i];
      if (c !== undefined && c !== COMMA && c !== LF && c !== CR) {
        throw badRecord(line + lines, `unexpected ${JSON.stringify(String.fromCharCode(c))} after a closing quote`, name);
      }
    } else {
      // Unquoted field: up to a comma or line break. A stray quote inside is kept as it is.
      let j = i;
      while (j < n) {
        c = buf[j];
        if (c === COMMA || c === LF || c === CR) break;
        j++;
      }
      if (j >= n) {
        if (!eof) return null;
        c = undefined;
      }
      fields.push(j > i ? buf.toString('utf8', i, j) : '');
      i = j;
    }
    if (c === COMMA) {
      i++;
      continue;
    }
    if (c === undefined) return { fields, end: i, lines }; // end of file
    if (c === LF) return { fields, end: i + 1, lines: lines + 1 };
    // CR: CRLF or a lone CR.
    if (i + 1 >= n && !eof) return null;
    return { fields, end: buf[i + 1] === LF ? i + 2 : i + 1, lines: lines + 1 };
  }
}

/** The next CSV record in the window, reading more as needed; null at end of file. */
async function nextCsvRecord(window: FileWindow, name: string): Promise<{ fields: string[]; line: number } | null> {
  if (!(await window.skipBlankLines())) return null;
  for (;;) {
    const record = parseCsvRecord(window.buf, window.pos, window.eof, window.line, name);
    if (record) {
      const line = window.line;
      window.pos = record.end;
      window.line += record.lines;
      return { fields: record.fields, line };
    }
    await window.more();
  }
}

interface CsvHeader {
  columns: string[];
  /** Where the first data record starts. */
  next: FilePosition;
}

async function readCsvHeaderAt(window: FileWindow, name: string): Promise<CsvHeader> {
  await window.skipBom();
  const record = await nextCsvRecord(window, name);
  const columns = record?.fields ?? [];
  const seen = new Set<string>();
  for (let i = 0; i < columns.length; i++) {
    // An unnamed column still needs a key.
    if (columns[i] === '') columns[i] = `column_${i + 1}`;
    const column = columns[i]!;
    if (seen.has(column)) throw badRecord(record?.line ?? 1, `duplicate column name ${JSON.stringify(column)}`, name);
    seen.add(column);
  }
  return { columns, next: { offset: window.offset, line: window.line } };
}

/** Builds records keyed by the header; `__proto__` as a column name is kept as a plain key. */
function recordBuilder(columns: string[], name: string): (fields: string[], line: number) => JsonObject {
  const unsafe = columns.includes('__proto__');
  return (fields, line) => {
    if (fields.length !== columns.length) {
      throw badRecord(line, `expected ${columns.length} fields as in the header, found ${fields.length}`, name);
    }
    const record: JsonObject = {};
    for (let i = 0; i < columns.length; i++) {
      if (unsafe) Object.defineProperty(record, columns[i]!, { value: fields[i]!, enumerable: true, writable: true, configurable: true });
      else record[columns[i]!] = fields[i]!;
    }
    return record;
  };
}

/** The next non-blank JSONL line as an object; null at end of file. */
async function nextJsonlRecord(window: FileWindow, name: string): Promise<JsonObject | null> {
  for (;;) {
    if (!(await window.skipBlankLines())) return null;
    let lineEnd = window.buf.indexOf(LF, window.pos);
    while (lineEnd === -1 && !window.eof) {
      const scanned = window.available;
      await window.more();
      lineEnd = window.buf.indexOf(LF, window.pos + scanned);
    }
    const stop = lineEnd === -1 ? window.buf.length : lineEnd;
    const textEnd = stop > window.pos && window.buf[stop - 1] === CR ? stop - 1 : stop;
    const text = window.buf.toString('utf8', window.pos, textEnd);
    const line = window.line;
    window.pos = lineEnd === -1 ? stop : stop + 1;
    window.line++;
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw badRecord(line, `invalid JSON (${err instanceof Error ? err.message : String(err)})`, name);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw badRecord(line, `expected a JSON object, found ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`, name);
    }
    return value as JsonObject;
  }
}

async function openForReading(filePath: string, name: string): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle;
  try {
    handle = await fs.open(filePath, 'r');
  } catch (err) {
    throw fsError(err, `File ${name}`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new SyncError('FILE_NOT_FOUND', `${name} is not a regular file`, false);
    return { handle, size: stat.size };
  } catch (err) {
    await handle.close();
    throw err instanceof SyncError ? err : fsError(err, `File ${name}`);
  }
}

export interface ReadFilePageArgs {
  config: FileConfig;
  /** Relative to the connection directory. */
  file: string;
  /** From the previous page's nextCursor; null for the first page. */
  cursor: string | null;
  pageSize: number;
  signal?: AbortSignal;
}

export async function readFilePage(args: ReadFilePageArgs): Promise<SourcePage> {
  const { config, file, cursor, pageSize, signal } = args;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) {
    throw new SyncError('FILE_CONFIG_INVALID', `Invalid page size ${String(pageSize)}`, false);
  }
  const format = fileFormat(config, file);
  const filePath = resolveInside(config, file);
  const start = cursor === null ? null : decodeCursor(cursor);
  const { handle, size } = await openForReading(filePath, file);
  try {
    if (start && start.offset > size) {
      throw new SyncError('FILE_BAD_CURSOR', `${file} is shorter (${size} bytes) than the cursor's offset ${start.offset}; was it replaced?`, false);
    }
    const records: JsonObject[] = [];
    let window: FileWindow;
    if (format === 'csv') {
      // The header is re-read from the start of the file each page: one small read.
      const headerWindow = new FileWindow(handle, 0, 1, file, signal);
      const header = await readCsvHeaderAt(headerWindow, file);
      if (start && start.offset < header.next.offset) {
        throw new SyncError('FILE_BAD_CURSOR', `Cursor offset ${start.offset} falls inside the header of ${file}`, false);
      }
      window = start ? new FileWindow(handle, start.offset, start.line, file, signal) : headerWindow;
      const build = recordBuilder(header.columns, file);
      while (records.length < pageSize) {
        const record = await nextCsvRecord(window, file);
        if (!record) break;
        records.push(build(record.fields, record.line));
      }
    } else {
      window = new FileWindow(handle, start?.offset ?? 0, start?.line ?? 1, file, signal);
      await window.skipBom();
      while (records.length < pageSize) {
        const record = await nextJsonlRecord(window, file);
        if (!record) break;
        records.push(record);
      }
    }
    // Past trailing blank lines, the end of the file means this page was the last one.
    const more = records.length === pageSize && (await window.skipBlankLines());
    const nextCursor = more ? encodeCursor({ offset: window.offset, line: window.line }) : null;
    return { records, nextCursor, totalCount: null, requests: 0 };
  } finally {
    await handle.close();
  }
}

/** The column names of a CSV file (the header); an empty file has none. */
export async function readCsvHeader(config: FileConfig, file: string): Promise<string[]> {
  const filePath = resolveInside(config, file);
  const { handle } = await openForReading(filePath, file);
  try {
    return (await readCsvHeaderAt(new FileWindow(handle, 0, 1, file, undefined), file)).columns;
  } finally {
    await handle.close();
  }
}

/** The data files (.csv, .jsonl, .ndjson) directly in the connection directory, sorted by name. */
export async function listDataFiles(config: FileConfig): Promise<string[]> {
  const directory = configuredDirectory(config);
  let entries;
  try {
    entries = await fs.readdir(directory, { withFileTypes: true });
  } catch (err) {
    throw fsError(err, `Directory ${directory}`);
  }
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.name.startsWith('.') || !(path.extname(entry.name).toLowerCase() in DATA_FILE_EXTENSIONS)) continue;
    // A symbolic link counts when it leads to a regular file.
    if (entry.isFile() || (entry.isSymbolicLink() && (await fs.stat(path.join(directory, entry.name)).catch(() => null))?.isFile())) {
      files.push(entry.name);
    }
  }
  return files.sort();
}

// ---- writing --------------------------------------------------------------------------------

/** Flush written text to the file in pieces of about this size. */
const WRITE_PIECE_CHARS = 256 * 1024;
const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function csvCell(value: JsonValue | undefined): string {
  let text: string;
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
  else text = JSON.stringify(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function jsonlLine(id: string, data: JsonObject): string {
  // Built as text so a "__proto__" key in the data survives, with the id first.
  const rest = Object.hasOwn(data, KEY_COLUMN) ? Object.fromEntries(Object.entries(data).filter(([key]) => key !== KEY_COLUMN)) : data;
  const body = JSON.stringify(rest);
  return `{${JSON.stringify(KEY_COLUMN)}:${JSON.stringify(id)}${body === '{}' ? '' : `,${body.slice(1, -1)}`}}\n`;
}

export interface WriteFilePageArgs {
  config: FileConfig;
  /** Folder under the connection directory (the task's target entity). */
  entity: string;
  runId: string;
  pageNo: number;
  rows: { id: string; data: JsonObject }[];
}

/** The file a page is written to, relative to the connection directory. */
export function pageFileName(config: FileConfig, entity: string, runId: string, pageNo: number): string {
  return path.join(entity, `${runId}-${String(pageNo).padStart(6, '0')}.${config.format ?? 'csv'}`);
}

/**
 * Writes one page as `<directory>/<entity>/<runId>-<pageNo>.<format>`: to a temporary name in the
 * same folder, synced, then renamed over the final name, so readers never see half a file and a
 * retried page replaces its file. Returns the rows written. A page without rows writes nothing.
 */
export async function writeFilePage(args: WriteFilePageArgs): Promise<number> {
  const { config, entity, runId, pageNo, rows } = args;
  const format = config.format ?? 'csv';
  if (format !== 'csv' && format !== 'jsonl') {
    throw new SyncError('FILE_CONFIG_INVALID', `Unknown file format "${String(format)}" (expected csv or jsonl)`, false);
  }
  if (!SAFE_SEGMENT.test(runId)) throw new SyncError('FILE_PATH_INVALID', `Invalid run id ${JSON.stringify(runId)} for a file name`, false);
  if (!Number.isSafeInteger(pageNo) || pageNo < 0) throw new SyncError('FILE_PATH_INVALID', `Invalid page number ${String(pageNo)}`, false);
  const directory = configuredDirectory(config);
  const folder = resolveInside(config, entity);
  if (rows.length === 0) return 0;

  try {
    const stat = await fs.stat(directory);
    if (!stat.isDirectory()) throw new SyncError('FILE_NOT_FOUND', `${directory} is not a directory`, false);
    await fs.mkdir(folder, { recursive: true });
  } catch (err) {
    throw err instanceof SyncError ? err : fsError(err, `Directory ${directory}`);
  }
  const target = path.join(directory, pageFileName(config, entity, runId, pageNo));
  const temp = path.join(folder, `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);

  let handle: FileHandle | undefined;
  try {
    handle = await fs.open(temp, 'wx');
    let piece = '';
    const flush = async () => {
      if (piece !== '') await handle!.write(piece);
      piece = '';
    };
    if (format === 'csv') {
      const columns: string[] = [];
      const seen = new Set<string>([KEY_COLUMN]);
      for (const row of rows) {
        for (const key of Object.keys(row.data)) {
          if (!seen.has(key)) {
            seen.add(key);
            columns.push(key);
          }
        }
      }
      piece = [KEY_COLUMN, ...columns].map(csvCell).join(',') + '\r\n';
      for (const row of rows) {
        let line = csvCell(row.id);
        for (const column of columns) line += `,${csvCell(Object.hasOwn(row.data, column) ? row.data[column] : undefined)}`;
        piece += `${line}\r\n`;
        if (piece.length >= WRITE_PIECE_CHARS) await flush();
      }
    } else {
      for (const row of rows) {
        piece += jsonlLine(row.id, row.data);
        if (piece.length >= WRITE_PIECE_CHARS) await flush();
      }
    }
    await flush();
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.rename(temp, target);
  } catch (err) {
    await handle?.close().catch(() => {});
    await fs.rm(temp, { force: true }).catch(() => {});
    throw err instanceof SyncError ? err : fsError(err, `Writing ${path.relative(directory, target)}`);
  }
  // Make the rename itself durable; not every platform lets a directory be synced.
  try {
    const dir = await fs.open(folder, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    // best effort
  }
  return rows.length;
}

// ---- connection test ------------------------------------------------------------------------

export async function testFileConnection(config: FileConfig): Promise<{ ok: boolean; message: string }> {
  let directory: string;
  try {
    directory = configuredDirectory(config);
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
  try {
    const stat = await fs.stat(directory);
    if (!stat.isDirectory()) return { ok: false, message: `${directory} is not a directory` };
  } catch (err) {
    return { ok: false, message: fsError(err, `Directory ${directory}`).message };
  }
  try {
    await fs.access(directory, fsConstants.R_OK | fsConstants.W_OK | fsConstants.X_OK);
  } catch (err) {
    return { ok: false, message: `Directory ${directory} is not readable and writable: ${(err as Error).message}` };
  }
  try {
    const files = await listDataFiles(config);
    return { ok: true, message: `Directory ${directory} is readable and writable; ${files.length} data file${files.length === 1 ? '' : 's'} (.csv, .jsonl)` };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}
