import { describe, expect, it } from 'vitest';
import { childrenOf, flatTree, moved, renumbered, subtreeIds, type Department } from '../src/state/addressbook';

const d = (id: number, parent: number, name: string): Department =>
  ({ id, parent_id: parent, name, sort_order: 0, created_at: '2026-01-01T00:00:00.000Z' });

describe('childrenOf', () => {
  it('groups departments under their parents, keeping order', () => {
    const m = childrenOf([d(1, 0, 'Eng'), d(2, 0, 'Sales'), d(3, 1, 'Backend'), d(4, 1, 'Frontend')]);
    expect(m.get(0)?.map((x) => x.name)).toEqual(['Eng', 'Sales']);
    expect(m.get(1)?.map((x) => x.id)).toEqual([3, 4]);
    expect(m.get(3)).toBeUndefined();
  });
});

describe('move picker', () => {
  const tree = [d(1, 0, 'Eng'), d(2, 0, 'Sales'), d(3, 1, 'Backend'), d(4, 3, 'DB'), d(5, 1, 'Frontend')];
  it('lists departments depth first with their depth', () => {
    expect(flatTree(tree).map((o) => `${o.depth}:${o.dept.name}`)).toEqual(['0:Eng', '1:Backend', '2:DB', '1:Frontend', '0:Sales']);
  });
  it('knows a subtree, so a department cannot be moved below itself', () => {
    expect([...subtreeIds(tree, 1)].sort()).toEqual([1, 3, 4, 5]);
    expect([...subtreeIds(tree, 3)].sort()).toEqual([3, 4]);
    expect([...subtreeIds(tree, 2)]).toEqual([2]);
  });
});

describe('reordering', () => {
  const ab = [{ n: 'a', o: 0 }, { n: 'b', o: 0 }, { n: 'c', o: 0 }];
  it('moves an item one place and stays put at either end', () => {
    expect(moved(ab, 2, -1).map((x) => x.n)).toEqual(['a', 'c', 'b']);
    expect(moved(ab, 0, 1).map((x) => x.n)).toEqual(['b', 'a', 'c']);
    expect(moved(ab, 0, -1).map((x) => x.n)).toEqual(['a', 'b', 'c']);
    expect(moved(ab, 2, 1).map((x) => x.n)).toEqual(['a', 'b', 'c']);
  });
  it('saves only the items whose number is not their new place', () => {
    // All at the default 0 (sorted by name): the first move numbers them.
    expect(renumbered(moved(ab, 2, -1), (x) => x.o).map((u) => `${u.item.n}=${u.order}`)).toEqual(['c=1', 'b=2']);
    // Already numbered: a swap saves two.
    const numbered = [{ n: 'a', o: 0 }, { n: 'b', o: 1 }, { n: 'c', o: 2 }, { n: 'd', o: 3 }];
    expect(renumbered(moved(numbered, 1, 1), (x) => x.o).map((u) => `${u.item.n}=${u.order}`)).toEqual(['c=1', 'b=2']);
  });
});
