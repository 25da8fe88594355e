// Finding a JSON answer's records without parsing them (activities/connectors/record-spans.ts):
// each span found must parse to the record JSON.parse finds at that place, and anything the
// scanner does not follow must come back undefined (the answer is then parsed whole), never a
// wrong split.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { findRecordSpans, type RecordSpans } from '../activities/connectors/record-spans';

const DEFAULTS = ['items', 'results', 'result', 'data'] as const;
const utf8 = new TextDecoder();

/** The records the spans mark, each parsed on its own. */
function parsedSpans(bytes: Uint8Array, spans: RecordSpans): unknown[] {
  return spans.starts.map((start, i) => JSON.parse(utf8.decode(bytes.subarray(start, spans.ends[i]))) as unknown);
}

function spansOf(body: string | Uint8Array, position?: string): { bytes: Uint8Array; spans: RecordSpans | undefined } {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  return { bytes, spans: findRecordSpans(bytes, position, DEFAULTS) };
}

/** Records with what a scanner could trip on: brackets, quotes and backslashes in strings, nesting, non-ASCII. */
const awkward = [
  { id: 1, name: 'plain', tags: ['a', 'b'], nested: { deep: [{ x: [1, [2, [3]]] }] } },
  { id: '2', name: 'braces } ] { [ in a string', quote: 'she said "hi"', slash: 'C:\\dir\\', trailing: 'ends with \\' },
  { id: 3, name: 'ünïcödé ✓ 𝄞', empty: {}, list: [], nil: null, yes: true, no: false, n: -1.5e-3 },
  { id: 4, '}{': 'key of brackets', 'k"q': 'escaped key', 'a\\': '\\"' },
];

describe('finding records in an answer', () => {
  test('each record is found at the path given, compact or pretty-printed, and parses to what JSON.parse finds there', () => {
    for (const text of [JSON.stringify({ data: { items: awkward }, total: 4 }), JSON.stringify({ meta: { items: [9] }, data: { items: awkward }, total: 4 }, null, 2)]) {
      const { bytes, spans } = spansOf(text, 'data.items');
      assert.ok(spans, text);
      assert.deepEqual(parsedSpans(bytes, spans), awkward);
      assert.equal(text.slice(0, spans.listStart).endsWith('"items": ') || text.slice(0, spans.listStart).endsWith('"items":'), true);
      assert.equal(utf8.decode(bytes.subarray(spans.listEnd - 1, spans.listEnd)), ']');
    }
  });

  test('each span is the record byte for byte as the source sent it', () => {
    const records = awkward.map((r) => JSON.stringify(r));
    const text = `{"items":[ ${records.join(' ,\n')} ]}`;
    const { bytes, spans } = spansOf(text);
    assert.ok(spans);
    assert.deepEqual(
      spans.starts.map((s, i) => utf8.decode(bytes.subarray(s, spans.ends[i]))),
      records,
    );
  });

  test('without a path, the list is where JSON.parse-based reading looks first, else the body itself', () => {
    const first = spansOf(JSON.stringify({ data: [{ id: 'd' }], results: [{ id: 'r' }] }));
    assert.deepEqual(parsedSpans(first.bytes, first.spans!), [{ id: 'r' }], 'results comes before data');
    const emptyFirst = spansOf(JSON.stringify({ items: [], data: [{ id: 'd' }] }));
    assert.deepEqual(emptyFirst.spans?.starts, [], 'an empty items list is the list');
    const notAList = spansOf(JSON.stringify({ items: { id: 'x' }, data: [{ id: 'd' }] }));
    assert.deepEqual(parsedSpans(notAList.bytes, notAList.spans!), [{ id: 'd' }], 'a key holding no list is passed over');
    const body = spansOf(JSON.stringify([{ id: 1 }, { id: 2 }]));
    assert.deepEqual(parsedSpans(body.bytes, body.spans!), [{ id: 1 }, { id: 2 }]);
    const root = spansOf(JSON.stringify([{ id: 1 }]), '_root');
    assert.deepEqual(parsedSpans(root.bytes, root.spans!), [{ id: 1 }]);
  });

  test('a key written twice is read as JSON.parse reads it: the last one', () => {
    const { bytes, spans } = spansOf('{"data":[{"id":1}],"data":[{"id":2}]}', 'data');
    assert.deepEqual(parsedSpans(bytes, spans!), [{ id: 2 }]);
    assert.equal(spansOf('{"data":{"items":[{"id":1}]},"data":{"other":1}}', 'data.items').spans, undefined);
  });

  test('a byte-order mark before the body is passed over', () => {
    const text = new TextEncoder().encode(JSON.stringify({ items: [{ id: 1 }] }));
    const withMark = new Uint8Array([0xef, 0xbb, 0xbf, ...text]);
    const { bytes, spans } = spansOf(withMark);
    assert.deepEqual(parsedSpans(bytes, spans!), [{ id: 1 }]);
  });

  test('anything it does not follow is left to parsing the whole answer', () => {
    const cases: [string, string | undefined][] = [
      ['{"items":[{"id":1},2]}', undefined], // an element that is not an object
      ['{"items":[{"id":1}', undefined], // cut short
      ['{"items":[{"id":1},]}', undefined], // a trailing comma
      ['{"items":[{"id":1} {"id":2}]}', undefined], // no comma
      ['{"it\\u0065ms":[{"id":1}]}', undefined], // a key written with escapes
      ['{"data":[{"items":[{"id":1}]}]}', 'data.0.items'], // a path through a list
      ['{"data":{"list":[{"id":1}]}}', 'data.items'], // nothing at the path
      ['{"data":{"items":{"id":1}}}', 'data.items'], // not a list at the path
      ['"just a string"', undefined],
      ['{"items":[{"id":"unterminated}]}', undefined],
      ['', undefined],
    ];
    for (const [text, position] of cases) assert.equal(spansOf(text, position).spans, undefined, text);
  });

  test('records generated at random parse, span by span, to what JSON.parse finds', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pieces = ['a', '"', '\\', '{', '}', '[', ']', ',', ':', ' ', 'é', '\n', '\u0000', '💡'];
    const text = () => Array.from({ length: Math.floor(random() * 8) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
    const value = (depth: number): unknown => {
      const kind = Math.floor(random() * (depth > 2 ? 4 : 6));
      if (kind === 0) return text();
      if (kind === 1) return Math.floor(random() * 1e6) / 100;
      if (kind === 2) return random() < 0.5;
      if (kind === 3) return null;
      if (kind === 4) return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, () => [text(), value(depth + 1)]));
    };
    for (let round = 0; round < 200; round++) {
      const records = Array.from({ length: Math.floor(random() * 5) }, (_, i) => ({ id: i, [text()]: value(0), v: value(0) }));
      const body = JSON.stringify({ [`k${round}`]: value(0), data: { items: records }, total: records.length }, null, round % 2 === 0 ? 0 : 1);
      const { bytes, spans } = spansOf(body, 'data.items');
      assert.ok(spans, body);
      assert.deepEqual(parsedSpans(bytes, spans), (JSON.parse(body) as { data: { items: unknown[] } }).data.items, body);
    }
  });
});
