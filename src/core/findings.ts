import { formatWhere, type Where } from './errors.js';

/** error: stops writes and runs; warning: shown; info: worth knowing (e.g. values no pillar uses). */
export type Severity = 'error' | 'warning' | 'info';

/** One validation result, located in the pillar file so the operator can jump to it. */
export interface Finding {
  severity: Severity;
  code: string;
  message: string;
  where: Where;
  node?: string;
  vm?: string;
  hint?: string;
}

export function formatFinding(f: Finding): string {
  const loc = formatWhere(f.where);
  const head = `${loc ? loc + ': ' : ''}${f.severity}[${f.code}]: ${f.message}`;
  return f.hint ? `${head}\n  hint: ${f.hint}` : head;
}

export function countBySeverity(findings: readonly Finding[]): { errors: number; warnings: number; infos: number } {
  let errors = 0;
  let warnings = 0;
  let infos = 0;
  for (const f of findings) {
    if (f.severity === 'error') errors++;
    else if (f.severity === 'warning') warnings++;
    else infos++;
  }
  return { errors, warnings, infos };
}

/** "1 compute node", "2 compute nodes". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** Stable order for output: by file line, then by code. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) => (a.where.line ?? 0) - (b.where.line ?? 0) || a.code.localeCompare(b.code) || a.message.localeCompare(b.message),
  );
}
