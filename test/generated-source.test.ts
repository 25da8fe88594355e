// The bench's source serves the pages it rendered before a run: they must be the bytes it would
// generate on request, under the change seed it was rendered for and no other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatedRecord, startGeneratedSource } from '../bench/generated-source';

const RECORDS = 25;
const PAGE_SIZE = 10;

async function pageBodies(url: string, pageSize: number): Promise<string[]> {
  const bodies: string[] = [];
  for (let page = 1; page <= Math.ceil(RECORDS / pageSize) + 1; page++) {
    const res = await fetch(`${url}/records?page=${page}&pageSize=${pageSize}`);
    assert.equal(res.status, 200);
    bodies.push(await res.text());
  }
  return bodies;
}

test('a rendered page is the page generated on request, and a changed seed is served as generated, not as rendered', async () => {
  const source = await startGeneratedSource({ records: RECORDS });
  try {
    const generated = await pageBodies(source.url, PAGE_SIZE);
    source.render(PAGE_SIZE);
    assert.deepEqual(await pageBodies(source.url, PAGE_SIZE), generated);
    const ids = generated.flatMap((body) => (JSON.parse(body) as { data: { items: { id: number }[] } }).data.items.map((r) => r.id));
    assert.deepEqual(ids, Array.from({ length: RECORDS }, (_, i) => i + 1));

    // Rendered under no change seed: with one set, the changed records must come back changed.
    const changedId = Array.from({ length: 10_000 }, (_, i) => i + 1).find((id) => generatedRecord(id, 1, 2).name !== generatedRecord(id, 1, null).name)!;
    const wide = await startGeneratedSource({ records: changedId });
    try {
      wide.render(changedId);
      wide.changeSeed = 2;
      const res = await fetch(`${wide.url}/records?page=1&pageSize=${changedId}`);
      const items = ((await res.json()) as { data: { items: { id: number; name: string }[] } }).data.items;
      assert.equal(items.at(-1)!.name, generatedRecord(changedId, 1, 2).name);
    } finally {
      await wide.close();
    }

    // A page size it did not render for is generated.
    const other = (await (await fetch(`${source.url}/records?page=2&pageSize=7`)).json()) as { data: { items: { id: number }[] } };
    assert.deepEqual(other.data.items.map((r) => r.id), [8, 9, 10, 11, 12, 13, 14]);
  } finally {
    await source.close();
  }
});
