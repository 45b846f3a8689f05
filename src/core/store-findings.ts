import type { Finding } from './findings.js';
import type { PillarModel, StoreSnapshot, StoredVm } from './model.js';

const VALUE_KEYS = ['ip', 'mac', 'password', 'ssh_reverse_proxy_port'] as const;

function describeValues(s: StoredVm, keys: readonly string[]): string {
  return keys
    .map((k) =>
      k === 'password'
        ? 'a password'
        : k === 'ssh_reverse_proxy_port'
          ? `ssh port ${s.ssh_reverse_proxy_port}`
          : `${k} ${String(s[k as keyof StoredVm])}`,
    )
    .join(', ');
}

/**
 * Stored values nothing uses, as notes: values of VMs that none of the given pillars has on that
 * node (their entry was removed by hand, commented out, or lives in a pillar not given), and values
 * an entry overrides with its own. Neither is released without an explicit `forget`.
 */
export function storeFindings(
  pillars: PillarModel[],
  store: StoreSnapshot,
  fileOf: (node: string) => string,
  pillarArg: string,
): Finding[] {
  const out: Finding[] = [];
  for (const [node, state] of store) {
    for (const [vm, s] of Object.entries(state)) {
      const held = VALUE_KEYS.filter((k) => s[k] !== undefined);
      if (!held.length) continue;
      const entry = pillars.flatMap((m) => m.vms).find((e) => e.node === node && e.name === vm);
      const forgetCmd = `lxc-wizard forget ${node} ${vm} --pillar ${pillarArg}`;
      if (!entry) {
        out.push({
          severity: 'info',
          code: 'stored-unused',
          message: `the store holds ${describeValues(s, held)} for ${vm} on ${node}, which no pillar given here has${s.pillar ? ` (they were allocated for ${s.pillar})` : ''}`,
          where: { file: fileOf(node) },
          node,
          vm,
          hint: `they stay taken until released; if no other pillar and no container uses them: ${forgetCmd}${s.pillar ? ` (refused while ${s.pillar} lists ${vm}; --force releases them anyway)` : ''}`,
        });
        continue;
      }
      const overridden = held.filter((k) => entry.keys[k] !== undefined);
      if (overridden.length) {
        out.push({
          severity: 'info',
          code: 'stored-overridden',
          message: `the entry of ${vm} sets ${overridden.join(', ')} itself, so the stored ${describeValues(s, overridden)} ${overridden.length === 1 ? 'is' : 'are'} unused`,
          where: { file: entry === undefined ? fileOf(node) : pillars.find((m) => m.vms.includes(entry))!.file, line: entry.line },
          node,
          vm,
          hint: `they stay taken until released: ${forgetCmd}`,
        });
      }
    }
  }
  return out;
}
