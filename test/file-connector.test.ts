import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SyncError } from '../activities/errors';
import { readFilePage, testFileConnection, writeFilePage, type FileConfig } from '../activities/connectors/file';
import type { JsonObject } from '../activities/connectors/types';
import { csvRecord, jsonlRecord, writeCsvFile, writeJsonlFile } from './helpers/csv';

let dir: string;
let config: FileConfig;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'syncline-file-'));
  config = { directory: dir };
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface ReadAll {
  records: JsonObject[];
  pages: number;
  cursors: (string | null)[];
}

/** Reads every page the way the workflow does: until nextCursor is null. */
async function readAll(file: string, pageSize: number, cfg: FileConfig = config): Promise<ReadAll> {
  const result: ReadAll = { records: [], pages: 0, cursors: [] };
  let cursor: string | null = null;
  do {
    const page = await readFilePage({ config: cfg, file, cursor, pageSize });
    assert.equal(page.totalCount, null);
    assert.equal(page.requests, 0);
    assert.ok(page.records.length <= pageSize);
    result.records.push(...page.records);
    result.pages++;
    cursor = page.nextCursor;
    result.cursors.push(cursor);
    assert.ok(result.pages <= 100_000, 'pagination does not end');
  } while (cursor !== null);
  return result;
}

async function expectSyncError(promise: Promise<unknown>, code: string, message?: RegExp) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof SyncError, `expected a SyncError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.retryable, false);
    if (message) assert.match(err.message, message);
    return true;
  });
}

const expectedCsv = (n: number, seed = 1) => Array.from({ length: n }, (_, i) => csvRecord(i + 1, seed));

test('csv: every record of a generated file arrives exactly once with its values, LF and CRLF+BOM alike', async () => {
  for (const [file, options] of [
    ['gen-lf.csv', {}],
    ['gen-crlf-bom.csv', { newline: '\r\n' as const, bom: true }],
  ] as const) {
    await writeCsvFile(path.join(dir, file), 2345, 7, options);
    const result = await readAll(file, 100);
    assert.equal(result.records.length, 2345);
    assert.deepEqual(result.records, expectedCsv(2345, 7), file);
    // 23 full pages and a short last one; the cursor ends on the short page, not an empty one.
    assert.equal(result.pages, 24);
    assert.equal(Object.keys(result.records[0]!)[0], 'id', 'the BOM is not part of the first column name');
    const specials = result.records.filter((r) => r.note!.toString().includes('"') || r.note!.toString().includes('\n'));
    assert.ok(specials.length > 300);
  }
});

test('csv: quotes, escaped quotes, commas and line breaks in quotes, CRLF, BOM, empty fields, blank lines, no final newline', async () => {
  const content =
    '\uFEFFid,text,"quoted ""name""",empty\r\n' +
    '1,plain,"a, b",\r\n' +
    '\r\n' +
    '2,"say ""hi""","multi\r\nline\nvalue",""\n' +
    '\n\n' +
    '3,"","""",x\r\n' +
    '4,caf\u00e9 \u2615,"\u00e9\u00e9n, twee",' +
    '\n5,lone"quote,"ends with quote""",last';
  await writeFile(path.join(dir, 'tricky.csv'), content);
  const expected = [
    { id: '1', text: 'plain', 'quoted "name"': 'a, b', empty: '' },
    { id: '2', text: 'say "hi"', 'quoted "name"': 'multi\r\nline\nvalue', empty: '' },
    { id: '3', text: '', 'quoted "name"': '"', empty: 'x' },
    { id: '4', text: 'café ☕', 'quoted "name"': 'één, twee', empty: '' },
    { id: '5', text: 'lone"quote', 'quoted "name"': 'ends with quote"', empty: 'last' },
  ];
  for (const pageSize of [1, 2, 3, 5, 100]) {
    const result = await readAll('tricky.csv', pageSize);
    assert.deepEqual(result.records, expected, `pageSize ${pageSize}`);
    assert.equal(result.pages, Math.ceil(5 / pageSize), `pageSize ${pageSize}`);
  }
});

test('csv: records straddling the 64 KiB read boundary (split quotes, CRLF, multi-byte characters) parse the same', async () => {
  const header = 'id,value\r\n';
  const tricky = ['"a ""b"" c"', '"x\r\ny"', 'één☕', '"""q"""', 'plain', '""'];
  const parsed = ['a "b" c', 'x\r\ny', 'één☕', '"q"', 'plain', ''];
  // A blank line (skipped) among them, so that a CRLF split by the boundary is also a blank one.
  const block = tricky.map((value, i) => `${i === 3 ? '\r\n' : ''}${i + 1},${value}\r\n`).join('');
  const boundary = 64 * 1024;
  // The first read ends at 64 KiB: put that end at every byte of the tricky records in turn
  // (inside a doubled quote, between CR and LF, inside a multi-byte character, …).
  for (let shift = 0; shift <= Buffer.byteLength(block); shift++) {
    const fillerLength = boundary - shift - Buffer.byteLength(header) - Buffer.byteLength('0,\r\n');
    const content = header + `0,${'f'.repeat(fillerLength)}\r\n` + block;
    assert.equal(Buffer.byteLength(header + `0,${'f'.repeat(fillerLength)}\r\n`), boundary - shift);
    const file = `boundary-${shift}.csv`;
    await writeFile(path.join(dir, file), content);
    for (const pageSize of [2, 1000]) {
      const result = await readAll(file, pageSize);
      assert.equal(result.records.length, tricky.length + 1);
      assert.equal((result.records[0]!.value as string).length, fillerLength);
      assert.deepEqual(
        result.records.slice(1).map((r) => r.value),
        parsed,
        `shift ${shift}, pageSize ${pageSize}`,
      );
    }
    // Line numbers stay right too: header 1, filler 2, the tricky records and a blank line 3-10 (one record spans two lines).
    await writeFile(path.join(dir, file), `${content}bad\r\n`);
    await expectSyncError(readAll(file, 1000), 'FILE_BAD_RECORD', /^line 11: expected 2 fields/);
  }
});

test('csv: a cursor resumes mid-file, a page read twice gives the same records, and it never re-reads from the start', async () => {
  await writeCsvFile(path.join(dir, 'resume.csv'), 1000, 3);
  const first = await readFilePage({ config, file: 'resume.csv', cursor: null, pageSize: 300 });
  assert.equal(first.records.length, 300);
  assert.ok(first.nextCursor);
  assert.ok(first.nextCursor.length < 40, 'the cursor is a small string');
  // A retried page (same cursor) answers the same records and the same next cursor.
  const second = await readFilePage({ config, file: 'resume.csv', cursor: first.nextCursor, pageSize: 300 });
  const again = await readFilePage({ config, file: 'resume.csv', cursor: first.nextCursor, pageSize: 300 });
  assert.deepEqual(again, second);
  assert.deepEqual(second.records, expectedCsv(600, 3).slice(300));
  // The cursor is the byte offset of the next record: reading past it shows the record's line.
  const offset = Number(first.nextCursor.split(':')[0]);
  const bytes = await readFile(path.join(dir, 'resume.csv'));
  assert.equal(bytes.subarray(offset).toString('utf8').split(',')[0], '301');
  // A later page with a different page size continues from the same place.
  const rest = await readAll('resume.csv', 1000);
  assert.equal(rest.records.length, 1000);
  const tail = await readFilePage({ config, file: 'resume.csv', cursor: second.nextCursor, pageSize: 10_000 });
  assert.deepEqual(tail.records, expectedCsv(1000, 3).slice(600));
  assert.equal(tail.nextCursor, null);
});

test('csv: malformed content fails with the line number', async () => {
  await writeFile(path.join(dir, 'unterminated.csv'), 'a,b\n1,2\n3,"never closed\n4,5\n');
  await expectSyncError(readAll('unterminated.csv', 10), 'FILE_BAD_RECORD', /^line 3: unterminated quoted field/);
  await writeFile(path.join(dir, 'short-row.csv'), 'a,b\n1,2\n"x\ny",2\n3\n');
  await expectSyncError(readAll('short-row.csv', 10), 'FILE_BAD_RECORD', /^line 5: expected 2 fields as in the header, found 1/);
  await writeFile(path.join(dir, 'after-quote.csv'), 'a,b\n"x"y,2\n');
  await expectSyncError(readAll('after-quote.csv', 10), 'FILE_BAD_RECORD', /^line 2: unexpected "y" after a closing quote/);
  await writeFile(path.join(dir, 'dup.csv'), 'a,b,a\n1,2,3\n');
  await expectSyncError(readAll('dup.csv', 10), 'FILE_BAD_RECORD', /line 1: duplicate column name "a"/);
  // The line number carries across pages: the error is on the third page.
  await writeFile(path.join(dir, 'late.csv'), 'a,b\n1,2\n3,4\n5,6\n7\n');
  await expectSyncError(readAll('late.csv', 1), 'FILE_BAD_RECORD', /^line 5:/);
});

test('csv: empty and header-only files have no records', async () => {
  await writeFile(path.join(dir, 'empty.csv'), '');
  await writeFile(path.join(dir, 'header-only.csv'), 'a,b\r\n');
  for (const file of ['empty.csv', 'header-only.csv']) {
    const page = await readFilePage({ config, file, cursor: null, pageSize: 10 });
    assert.deepEqual(page, { records: [], nextCursor: null, totalCount: null, requests: 0 });
  }
});

test('jsonl: every object arrives once with JSON types; blank lines and CRLF are fine', async () => {
  await writeJsonlFile(path.join(dir, 'gen.jsonl'), 1000, 5);
  const result = await readAll('gen.jsonl', 64);
  assert.equal(result.pages, 16);
  assert.deepEqual(result.records, Array.from({ length: 1000 }, (_, i) => jsonlRecord(i + 1, 5)));

  await writeFile(path.join(dir, 'blank.jsonl'), '\uFEFF{"id":1}\r\n\r\n   \n{"id":2,"x":{"y":[1,2]}}\n\n{"id":3}');
  const blank = await readAll('blank.jsonl', 2);
  assert.deepEqual(blank.records, [{ id: 1 }, { id: 2, x: { y: [1, 2] } }, { id: 3 }]);
  assert.equal(blank.pages, 2);
});

test('jsonl: an invalid or non-object line fails naming its line, also on a later page', async () => {
  await writeFile(path.join(dir, 'bad.jsonl'), '{"id":1}\n\n{"id":2}\n{"id":3,}\n');
  await expectSyncError(readAll('bad.jsonl', 1), 'FILE_BAD_RECORD', /^line 4: invalid JSON/);
  await writeFile(path.join(dir, 'array.jsonl'), '{"id":1}\n[1,2]\n');
  await expectSyncError(readAll('array.jsonl', 10), 'FILE_BAD_RECORD', /^line 2: expected a JSON object, found an array/);
  await writeFile(path.join(dir, 'scalar.jsonl'), '{"id":1}\n{"id":2}\n"text"\n');
  await expectSyncError(readAll('scalar.jsonl', 2), 'FILE_BAD_RECORD', /^line 3: expected a JSON object, found string/);
});

test('an aborted signal stops the read', async () => {
  const controller = new AbortController();
  controller.abort(new Error('cancelled'));
  await assert.rejects(readFilePage({ config, file: 'gen.jsonl', cursor: null, pageSize: 10, signal: controller.signal }), /cancelled/);
});

test('the configured format wins over the extension; other extensions read as csv', async () => {
  await writeFile(path.join(dir, 'data.txt'), 'a,b\n1,2\n');
  assert.deepEqual((await readAll('data.txt', 10)).records, [{ a: '1', b: '2' }]);
  await writeFile(path.join(dir, 'lines.txt'), '{"a":1}\n');
  assert.deepEqual((await readAll('lines.txt', 10, { directory: dir, format: 'jsonl' })).records, [{ a: 1 }]);
});

test('paths outside the directory, missing files and bad cursors are refused', async () => {
  await mkdir(path.join(dir, 'sub'), { recursive: true });
  await writeFile(path.join(dir, 'sub', 'inner.csv'), 'a\n1\n');
  assert.deepEqual((await readAll('sub/../sub/inner.csv', 10)).records, [{ a: '1' }]);
  for (const file of ['../outside.csv', 'sub/../../outside.csv', '/etc/passwd', '..', '', 'a\0b.csv']) {
    await expectSyncError(readFilePage({ config, file, cursor: null, pageSize: 10 }), 'FILE_PATH_INVALID');
  }
  await expectSyncError(readFilePage({ config, file: 'missing.csv', cursor: null, pageSize: 10 }), 'FILE_NOT_FOUND', /missing\.csv/);
  await expectSyncError(readFilePage({ config, file: 'sub', cursor: null, pageSize: 10 }), 'FILE_NOT_FOUND', /not a regular file/);
  await expectSyncError(readFilePage({ config: { directory: path.join(dir, 'nope') }, file: 'x.csv', cursor: null, pageSize: 10 }), 'FILE_NOT_FOUND');
  await expectSyncError(readFilePage({ config, file: 'sub/inner.csv', cursor: 'garbage', pageSize: 10 }), 'FILE_BAD_CURSOR');
  await expectSyncError(readFilePage({ config, file: 'sub/inner.csv', cursor: '999999:3', pageSize: 10 }), 'FILE_BAD_CURSOR', /replaced/);
  await expectSyncError(readFilePage({ config, file: 'sub/inner.csv', cursor: '1:1', pageSize: 10 }), 'FILE_BAD_CURSOR', /header/);
});

test('write: csv pages land atomically under <entity>/<runId>-<page>.csv, quoted, and read back as written', async () => {
  const out: FileConfig = { directory: path.join(dir, 'out') };
  await mkdir(out.directory);
  const rows: { id: string; data: JsonObject }[] = [
    { id: 'a1', data: { name: 'Anna, "the" first', note: 'two\nlines', n: 1.5, ok: true } },
    { id: 'b2', data: { name: 'Bram', address: { city: 'Utrecht' }, tags: ['x', 'y'], empty: null } },
    { id: 'c,3', data: { _syncline_id: 'ignored', name: '' } },
  ];
  assert.equal(await writeFilePage({ config: out, entity: 'people', runId: 'run-1', pageNo: 3, rows }), 3);
  const files = await readdir(path.join(out.directory, 'people'));
  assert.deepEqual(files, ['run-1-000003.csv']);
  const text = await readFile(path.join(out.directory, 'people', 'run-1-000003.csv'), 'utf8');
  assert.equal(text.split('\r\n')[0], '_syncline_id,name,note,n,ok,address,tags,empty');
  assert.match(text, /"Anna, ""the"" first"/);
  assert.match(text, /"{""city"":""Utrecht""}"/);

  const back = await readAll('people/run-1-000003.csv', 10, out);
  assert.deepEqual(back.records, [
    { _syncline_id: 'a1', name: 'Anna, "the" first', note: 'two\nlines', n: '1.5', ok: 'true', address: '', tags: '', empty: '' },
    { _syncline_id: 'b2', name: 'Bram', note: '', n: '', ok: '', address: '{"city":"Utrecht"}', tags: '["x","y"]', empty: '' },
    { _syncline_id: 'c,3', name: '', note: '', n: '', ok: '', address: '', tags: '', empty: '' },
  ]);

  // A retried page overwrites its file: still one file, with the retry's content, no temp files.
  assert.equal(await writeFilePage({ config: out, entity: 'people', runId: 'run-1', pageNo: 3, rows: rows.slice(0, 1) }), 1);
  assert.deepEqual(await readdir(path.join(out.directory, 'people')), ['run-1-000003.csv']);
  assert.equal((await readAll('people/run-1-000003.csv', 10, out)).records.length, 1);
  await writeFilePage({ config: out, entity: 'people', runId: 'run-1', pageNo: 4, rows });
  assert.deepEqual((await readdir(path.join(out.directory, 'people'))).sort(), ['run-1-000003.csv', 'run-1-000004.csv']);
  // Nothing to write, nothing written.
  assert.equal(await writeFilePage({ config: out, entity: 'people', runId: 'run-1', pageNo: 5, rows: [] }), 0);
  assert.equal((await readdir(path.join(out.directory, 'people'))).length, 2);
});

test('write: jsonl pages keep JSON types and put the id first', async () => {
  const out: FileConfig = { directory: path.join(dir, 'out-jsonl'), format: 'jsonl' };
  await mkdir(out.directory);
  const rows = [
    { id: '1', data: { name: 'Anna', nested: { a: [1, { b: null }] }, n: 2 } },
    { id: '2', data: JSON.parse('{"__proto__":{"x":1},"_syncline_id":"other","ok":false}') as JsonObject },
  ];
  assert.equal(await writeFilePage({ config: out, entity: 'crm/accounts', runId: 'r', pageNo: 0, rows }), 2);
  const back = await readAll('crm/accounts/r-000000.jsonl', 10, out);
  assert.deepEqual(back.records, [
    { _syncline_id: '1', name: 'Anna', nested: { a: [1, { b: null }] }, n: 2 },
    JSON.parse('{"_syncline_id":"2","__proto__":{"x":1},"ok":false}'),
  ]);
});

test('write: bad entity, run id or directory are refused', async () => {
  const rows = [{ id: '1', data: {} }];
  await expectSyncError(writeFilePage({ config, entity: '../x', runId: 'r', pageNo: 1, rows }), 'FILE_PATH_INVALID');
  await expectSyncError(writeFilePage({ config, entity: '/tmp/x', runId: 'r', pageNo: 1, rows }), 'FILE_PATH_INVALID');
  await expectSyncError(writeFilePage({ config, entity: 'x', runId: '../r', pageNo: 1, rows }), 'FILE_PATH_INVALID');
  await expectSyncError(writeFilePage({ config, entity: 'x', runId: 'r', pageNo: -1, rows }), 'FILE_PATH_INVALID');
  await expectSyncError(writeFilePage({ config: { directory: path.join(dir, 'no-such-dir') }, entity: 'x', runId: 'r', pageNo: 1, rows }), 'FILE_NOT_FOUND');
});

test('connection test: an existing directory is ok; a missing one or a file is not', async () => {
  const ok = await testFileConnection(config);
  assert.equal(ok.ok, true, ok.message);
  assert.match(ok.message, /readable and writable/);
  const missing = await testFileConnection({ directory: path.join(dir, 'does-not-exist') });
  assert.equal(missing.ok, false);
  assert.match(missing.message, /does not exist/);
  const notDir = await testFileConnection({ directory: path.join(dir, 'sub', 'inner.csv') });
  assert.equal(notDir.ok, false);
  assert.match(notDir.message, /not a directory/);
  assert.equal((await testFileConnection({ directory: '' })).ok, false);
});

test('a 200,000-row csv read page by page keeps memory flat', async () => {
  const file = 'large.csv';
  await writeCsvFile(path.join(dir, file), 200_000, 11);
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  let count = 0;
  let pages = 0;
  let cursor: string | null = null;
  do {
    const page = await readFilePage({ config, file, cursor, pageSize: 5000 });
    for (const record of page.records) {
      count++;
      // Spot-check values without keeping records around.
      if (count % 997 === 0) assert.deepEqual(record, csvRecord(count, 11));
    }
    pages++;
    cursor = page.nextCursor;
    peak = Math.max(peak, process.memoryUsage().rss);
  } while (cursor !== null);
  assert.equal(count, 200_000);
  assert.equal(pages, 40);
  const growthMb = (peak - baseline) / 1024 / 1024;
  assert.ok(growthMb < 100, `RSS grew by ${growthMb.toFixed(1)} MB`);
});
