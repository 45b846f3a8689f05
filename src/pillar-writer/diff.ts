import { createTwoFilesPatch } from 'diff';

/** The unified diff a reviewer reads before a write: `a/` and `b/` labels as git shows them. */
export function unifiedDiff(path: string, before: string, after: string): string {
  if (before === after) return '';
  const label = path.replace(/^\/+/, '');
  return createTwoFilesPatch(`a/${label}`, `b/${label}`, before, after, undefined, undefined, { context: 3 })
    .split('\n')
    .filter((l) => !l.startsWith('===='))
    .join('\n');
}
