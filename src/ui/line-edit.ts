/**
 * A line as a shell prompt edits it: Ctrl-U clears to the start, Ctrl-W deletes a word, Ctrl-A and
 * Home go to the start, Ctrl-E and End to the end, Ctrl-K clears to the end, arrows move, and a
 * pasted run of backspaces (one input event) deletes as many characters. Pure, so it is tested
 * without a terminal.
 */
export interface Line {
  value: string;
  cursor: number;
}

/** The parts of Ink's key object that editing reads. */
export interface EditKey {
  leftArrow?: boolean;
  rightArrow?: boolean;
  upArrow?: boolean;
  downArrow?: boolean;
  home?: boolean;
  end?: boolean;
  backspace?: boolean;
  delete?: boolean;
  ctrl?: boolean;
  meta?: boolean;
  return?: boolean;
  escape?: boolean;
  tab?: boolean;
}

const isSpace = (c: string | undefined) => c === ' ' || c === '\t';

function backspace(l: Line): Line {
  if (l.cursor === 0) return l;
  return { value: l.value.slice(0, l.cursor - 1) + l.value.slice(l.cursor), cursor: l.cursor - 1 };
}

function deleteWord(l: Line): Line {
  let i = l.cursor;
  while (i > 0 && isSpace(l.value[i - 1])) i--;
  while (i > 0 && !isSpace(l.value[i - 1])) i--;
  return { value: l.value.slice(0, i) + l.value.slice(l.cursor), cursor: i };
}

function insert(l: Line, text: string): Line {
  return { value: l.value.slice(0, l.cursor) + text + l.value.slice(l.cursor), cursor: l.cursor + text.length };
}

/** The line after one input event; undefined when the event is not line editing (Enter, Esc, Tab, ↑/↓). */
export function editLine(l: Line, input: string, key: EditKey): Line | undefined {
  if (key.return || key.escape || key.tab || key.upArrow || key.downArrow) return undefined;
  if (key.ctrl) {
    switch (input) {
      case 'u':
        return { value: l.value.slice(l.cursor), cursor: 0 };
      case 'w':
        return deleteWord(l);
      case 'a':
        return { ...l, cursor: 0 };
      case 'e':
        return { ...l, cursor: l.value.length };
      case 'k':
        return { value: l.value.slice(0, l.cursor), cursor: l.cursor };
      case 'h':
        return backspace(l);
      case 'c':
        return undefined;
      default:
        return l;
    }
  }
  if (key.home) return { ...l, cursor: 0 };
  if (key.end) return { ...l, cursor: l.value.length };
  if (key.leftArrow) return { ...l, cursor: Math.max(0, l.cursor - 1) };
  if (key.rightArrow) return { ...l, cursor: Math.min(l.value.length, l.cursor + 1) };
  // Terminals send DEL (0x7f) for Backspace, which Ink names `delete`: both delete backwards.
  if (key.backspace || key.delete) return backspace(l);
  if (key.meta) return l;
  let out = l;
  for (const ch of input) {
    if (ch === '\x7f' || ch === '\b') out = backspace(out);
    else if (ch === '\x15') out = { value: out.value.slice(out.cursor), cursor: 0 };
    else if (ch === '\x17') out = deleteWord(out);
    else if (ch >= ' ' && ch !== '\x7f') out = insert(out, ch);
    // other control characters (a pasted line break, a tab) are not part of a one-line answer
  }
  return out;
}
