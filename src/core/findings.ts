import { formatWhere, type Where } from './errors.js';

export type Severity = 'error' | 'warning';

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

export function countBySeverity(findings: readonly Finding[]): { errors: number; warnings: number } {
  let errors = 0;
  let warnings = 0;
  for (const f of findings) {
    if (f.severity === 'error') errors++;
    else warnings++;
  }
  return { errors, warnings };
}

/** Stable order for output: by file line, then by code. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) => (a.where.line ?? 0) - (b.where.line ?? 0) || a.code.localeCompare(b.code) || a.message.localeCompare(b.message),
  );
}
