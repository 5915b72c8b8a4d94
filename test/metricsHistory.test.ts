import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { appendBounded } from "../client/src/metricsHistory";

describe("the extension host's per-run history", () => {
  it("keeps everything below the cap", () => {
    const list: number[] = [];
    for (let i = 1; i <= 99; i++) appendBounded(list, i, 100);
    assert.deepEqual(
      list,
      Array.from({ length: 99 }, (_, i) => i + 1),
    );
  });

  it("stays under the cap however long the run, thins only the older half, keeps order, the first and the newest", () => {
    const list: number[] = [];
    const cap = 100;
    for (let i = 1; i <= 10_000; i++) {
      appendBounded(list, i, cap);
      assert.ok(list.length < cap, `${list.length} entries after ${i}`);
    }
    assert.equal(list[0], 1);
    assert.equal(list[list.length - 1], 10_000);
    for (let i = 1; i < list.length; i++) assert.ok(list[i]! > list[i - 1]!, "increasing");
    // The newest ~quarter of the cap is contiguous: the latest updates are all there.
    const tail = list.slice(-cap / 4);
    assert.deepEqual(
      tail,
      tail.map((_, i) => tail[0]! + i),
    );
  });

  it("thins at the cap exactly as described: every second of the older half goes", () => {
    const list = Array.from({ length: 9 }, (_, i) => i);
    appendBounded(list, 9, 10);
    assert.deepEqual(list, [0, 2, 4, 5, 6, 7, 8, 9]);
  });
});
