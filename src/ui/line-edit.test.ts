import { describe, expect, it } from 'vitest';
import { editLine, type Line } from './line-edit.js';

const at = (value: string, cursor = value.length): Line => ({ value, cursor });

describe('editLine', () => {
  it('inserts at the cursor and moves with arrows, Home and End', () => {
    let l = at('');
    l = editLine(l, 'web', {})!;
    l = editLine(l, '', { leftArrow: true })!;
    l = editLine(l, 'X', {})!;
    expect(l).toEqual({ value: 'weXb', cursor: 3 });
    expect(editLine(l, '', { home: true })).toEqual({ value: 'weXb', cursor: 0 });
    expect(editLine(l, '', { end: true })).toEqual({ value: 'weXb', cursor: 4 });
    expect(editLine(at('ab', 0), '', { leftArrow: true })).toEqual(at('ab', 0));
    expect(editLine(at('ab'), '', { rightArrow: true })).toEqual(at('ab'));
  });

  it('Ctrl-U clears before the cursor, Ctrl-K after it, Ctrl-W deletes the word before it', () => {
    expect(editLine(at('web01.example.com'), 'u', { ctrl: true })).toEqual(at('', 0));
    expect(editLine(at('abc def', 4), 'u', { ctrl: true })).toEqual({ value: 'def', cursor: 0 });
    expect(editLine(at('abc def', 3), 'k', { ctrl: true })).toEqual({ value: 'abc', cursor: 3 });
    expect(editLine(at('one two  '), 'w', { ctrl: true })).toEqual(at('one '));
    expect(editLine(at('one two', 3), 'w', { ctrl: true })).toEqual({ value: ' two', cursor: 0 });
    expect(editLine(at('ab'), 'a', { ctrl: true })!.cursor).toBe(0);
    expect(editLine(at('ab', 0), 'e', { ctrl: true })!.cursor).toBe(2);
  });

  it('Backspace (DEL, which Ink calls delete) deletes backwards; a pasted run deletes as many', () => {
    expect(editLine(at('abc'), '', { delete: true })).toEqual(at('ab'));
    expect(editLine(at('abc'), '', { backspace: true })).toEqual(at('ab'));
    expect(editLine(at('abcdef'), '\x7f\x7f\x7f', {})).toEqual(at('abc'));
    expect(editLine(at('ab'), '\x7f\x7f\x7f\x7f', {})).toEqual(at('', 0));
    expect(editLine(at('Bad Name'), '\b\b\b\bname', {})).toEqual(at('Bad name'));
  });

  it('leaves Enter, Esc, Tab and ↑/↓ to the screen, and keeps control characters out of the value', () => {
    for (const key of [{ return: true }, { escape: true }, { tab: true }, { upArrow: true }, { downArrow: true }])
      expect(editLine(at('x'), '', key)).toBeUndefined();
    expect(editLine(at('x'), 'c', { ctrl: true })).toBeUndefined();
    expect(editLine(at(''), 'a\nb\tc\u0001', {})).toEqual(at('abc'));
    expect(editLine(at('x'), 'b', { meta: true })).toEqual(at('x'));
  });
});
