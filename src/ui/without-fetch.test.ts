import { describe, expect, it } from 'vitest';
import { withoutFetch } from './without-fetch.js';

describe('withoutFetch (Ink loaded without pulling in undici)', () => {
  it('hides fetch while the load runs and puts the same property back, also when the load fails', async () => {
    const before = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
    const seen = await withoutFetch(async () => typeof globalThis.fetch);
    expect(seen).toBe('undefined');
    expect(Object.getOwnPropertyDescriptor(globalThis, 'fetch')).toEqual(before);
    await expect(
      withoutFetch(async () => {
        throw new Error('no module');
      }),
    ).rejects.toThrow('no module');
    expect(Object.getOwnPropertyDescriptor(globalThis, 'fetch')).toEqual(before);
    expect(typeof fetch).toBe('function');
  });

  it('yoga-layout still lays out once loaded that way', async () => {
    const { default: Yoga } = await withoutFetch(() => import('yoga-layout'));
    const root = Yoga.Node.create();
    root.setWidth(100);
    root.setFlexDirection(Yoga.FLEX_DIRECTION_ROW);
    const child = Yoga.Node.create();
    child.setFlexGrow(1);
    root.insertChild(child, 0);
    root.calculateLayout(undefined, undefined, Yoga.DIRECTION_LTR);
    expect(child.getComputedWidth()).toBe(100);
    root.freeRecursive();
  });
});
