import { stringify } from 'yaml';
import { settingsValues, type VmSettings } from '../core/settings.js';
import { isComplete, NODE_SETUP, readiness, STEP_STATE_WORDS } from '../core/steps.js';
import type { VmResult } from '../core/run-events.js';
import { waysIn, wayInVm, type WayInContext } from '../core/ways-in.js';

/** How the commands present results: settings, lists, run summaries. Pure text, no I/O. */

export function settingsDocument(s: VmSettings, showSecrets: boolean, ways: WayInContext) {
  const sources: Record<string, string> = {};
  for (const [k, f] of Object.entries(s.fields)) sources[k] = f.source;
  return {
    node: s.node,
    name: s.name,
    settings: settingsValues(s, showSecrets),
    sources,
    live: Object.keys(s.fields).filter((k) => s.fields[k]!.live),
    pending: Object.keys(s.fields).filter((k) => s.fields[k]!.source === 'pending'),
    waysIn: waysIn(wayInVm(s), ways),
    forwarded: ways.forwarded,
  };
}

/** The seed's key/value listing, one line a key, with where each value came from. */
export function settingsText(s: VmSettings, showSecrets: boolean, wayCtx: WayInContext): string {
  const values = settingsValues(s, showSecrets);
  const rows = Object.entries(values).map(([k, v]) => {
    const f = s.fields[k]!;
    const text =
      v === null ? '~' : stringify(v, { version: '1.1', lineWidth: 0, collectionStyle: 'flow', flowCollectionPadding: false }).trimEnd();
    const notes: string[] = [f.source];
    if (f.live) notes.push('re-applied each run');
    if (f.source === 'pending') notes.push(v === null ? 'generated when the entry is written' : 'would be allocated');
    if (f.secret && !showSecrets && v !== null) notes.push('--show-secrets to reveal');
    return [`${k}: ${text}`, notes.join(', ')] as const;
  });
  const width = Math.min(60, Math.max(...rows.map(([a]) => a.length)));
  const ways = waysIn(wayInVm(s), wayCtx).map((w) => `# way in: ${w}`);
  return [...rows.map(([a, b]) => `${a.padEnd(width)}  # ${b}`), ...ways].join('\n') + '\n';
}

/** Columns padded to their widest cell; the last column is not padded. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((l) => l[i]!.length)));
  return rows.map((l) => l.map((c, i) => (i === l.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

/**
 * One line per VM (and node setup): `ready` only when every step ran or was found in place, with
 * the count of each state word; otherwise what was not done (each skip said once, with its
 * reason), or where it stopped and why. Then the totals.
 */
export function runSummary(results: VmResult[], waysIn: Record<string, string[]> = {}): string {
  const lines: string[] = [];
  const totals = { ready: 0, partial: 0, failed: 0 };
  for (const r of results) {
    const name = r.name === NODE_SETUP ? `${r.node} (node setup)` : `${r.name} on ${r.node}`;
    const bad = r.steps.find((s) => s.state === 'failed' || s.state === 'interrupted');
    const count = r.name === NODE_SETUP ? { ready: 0, partial: 0, failed: 0 } : totals;
    if (bad?.name === 'reachable' && bad.state === 'failed') {
      // every step in place, but nobody logs in: not ready, and said as what is not done
      count.partial++;
      lines.push(`${name}: not done: reachable (${bad.error})`);
      if (bad.hint) lines.push(`  hint: ${bad.hint}`);
      continue;
    }
    if (bad) {
      count.failed++;
      lines.push(`${name}: ${STEP_STATE_WORDS[bad.state]} at ${bad.name}: ${bad.error}`);
      if (bad.hint) lines.push(`  hint: ${bad.hint}`);
      continue;
    }
    const counts = new Map<string, number>();
    for (const s of r.steps) counts.set(STEP_STATE_WORDS[s.state], (counts.get(STEP_STATE_WORDS[s.state]) ?? 0) + 1);
    const c = [...counts].map(([w, n]) => `${n} ${w}`).join(', ');
    const { ready, notDone } = readiness(r.steps);
    if (ready) {
      count.ready++;
      lines.push(`${name}: ${r.name === NODE_SETUP ? 'done' : 'ready'} (${c})`);
    } else {
      count.partial++;
      lines.push(
        `${name}: not done: ${notDone.map((s) => `${s.name} ${STEP_STATE_WORDS[s.state]}${s.reason ? ` (${s.reason})` : ''}`).join(', ')} (${c})`,
      );
    }
    // checked by its reachable step just now: each works as printed
    if (r.steps.some((s) => s.name === 'reachable' && isComplete(s.state)))
      for (const w of waysIn[`${r.name}@${r.node}`] ?? []) lines.push(`  ${w}`);
  }
  const vms = results.filter((r) => r.name !== NODE_SETUP).length;
  if (vms > 1) {
    const parts = [
      `${totals.ready} ready`,
      ...(totals.partial ? [`${totals.partial} with steps not done`] : []),
      ...(totals.failed ? [`${totals.failed} failed`] : []),
    ];
    lines.push(`${vms} VMs: ${parts.join(', ')}`);
  }
  return lines.join('\n');
}
