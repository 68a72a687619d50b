/**
 * releaseSpentMemory: garbage goes at once, not whenever allocations would next have collected it.
 */
import { describe, expect, it } from 'vitest';
import { releaseSpentMemory } from '../../src-main/core/spent-memory';

const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('releaseSpentMemory', () => {
  it('collects what nothing refers to any more', async () => {
    // A weak reference is cleared only by a collection; with nothing else allocating, none comes by itself.
    const spent = (() => new WeakRef(Buffer.alloc(8 << 20)))();
    await nextTask();
    expect(spent.deref() !== undefined).toBe(true); // (the buffer itself never goes to expect, which would keep it)
    await nextTask(); // a target looked at stays until the task ends
    releaseSpentMemory();
    await nextTask();
    expect(spent.deref() === undefined).toBe(true);
    const kept = Buffer.alloc(1 << 20, 7);
    releaseSpentMemory(); // again, and what is still used stays
    expect(kept.every((b) => b === 7)).toBe(true);
  });
});
