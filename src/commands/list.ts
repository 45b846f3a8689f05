import { ExitCode } from '../core/errors.js';
import { plural } from '../core/findings.js';
import { resolveNodeSettings } from '../core/node-settings.js';
import { loadWorkspace, openWorkspace } from '../app/workspace.js';
import { table } from './format.js';
import { flag, workspaceOptions } from './options.js';
import type { CommandInput } from './types.js';

export async function run(input: CommandInput): Promise<number> {
  const ws = await openWorkspace(workspaceOptions(input));
  const { file, rd, store } = await loadWorkspace(ws);
  const nodes = [...file.model.nodes.values()].map((n) => ({
    name: n.name,
    saltify: n.saltify,
    vms: resolveNodeSettings(file.model, n.name, rd, ws.settings, store.get(n.name) ?? {}).map((s) => ({
      name: s.name,
      profile: String(s.fields.profile!.value),
      profile_type: String(s.fields.profile_type!.value),
      ip: (s.fields.ip!.value as string | null) ?? null,
      ip_source: s.fields.ip!.source,
    })),
  }));
  if (flag(input, 'json')) {
    input.out.document({ file: file.path, nodes });
    return ExitCode.OK;
  }
  const rows: string[][] = [['NODE', 'VM', 'PROFILE', 'IP']];
  for (const n of nodes) {
    if (n.vms.length === 0) rows.push([n.name, '-', '-', '-']);
    for (const v of n.vms)
      rows.push([n.name, v.name, v.profile, v.ip === null ? '(pending)' : v.ip_source === 'pending' ? `${v.ip} (pending)` : v.ip]);
  }
  input.out.data(table(rows));
  const vmCount = nodes.reduce((a, n) => a + n.vms.length, 0);
  input.out.info(`${plural(nodes.length, 'compute node')}, ${plural(vmCount, 'VM')}`);
  return ExitCode.OK;
}
