// The per-(tenant, route) memory behind stablePrefixTokens: leading blocks shared, bounded in keys
// and in blocks, least recently used key dropped first.
import { describe, expect, it } from 'vitest';
import { PrefixMemory } from '../../src/engine/anatomy.js';

describe('PrefixMemory', () => {
  it('counts the leading blocks shared with the previous prompt under the same key only', () => {
    const m = new PrefixMemory();
    expect(m.shared('a', [1, 2, 3])).toBe(0);
    expect(m.shared('a', [1, 2, 4, 5])).toBe(2);
    expect(m.shared('a', [1, 2, 4, 5])).toBe(4);
    expect(m.shared('b', [1, 2, 4, 5])).toBe(0); // another tenant or route learns nothing
    expect(m.shared('a', [9, 2, 4, 5])).toBe(0); // a chain: a changed first block changes every hash after it
  });

  it('keeps at most maxKeys keys (least recently used dropped) and maxBlocks blocks each', () => {
    const m = new PrefixMemory(2, 3);
    m.shared('a', [1]);
    m.shared('b', [1]);
    m.shared('a', [1]); // a is now the most recent
    m.shared('c', [1]); // drops b
    expect(m.size).toBe(2);
    expect(m.shared('b', [1])).toBe(0);
    m.shared('x', [1, 2, 3, 4, 5]);
    expect(m.shared('x', [1, 2, 3, 4, 5])).toBe(3);
  });
});
