import { ExitCode } from '../core/errors.js';
import { resolveNodeSettings } from '../core/node-settings.js';
import { loadPillar, pillarContext } from './context.js';
import type { CommandInput } from './spec.js';

interface Row {
  name: string;
  profile: string;
  profile_type: string;
  ip: string | null;
  ip_source: string;
}

export async function run(input: CommandInput): Promise<number> {
  const ctx = pillarContext(input);
  const { file, rd, store } = await loadPillar(ctx);
  const nodes = [...file.model.nodes.values()].map((n) => ({
    name: n.name,
    saltify: n.saltify,
    vms: resolveNodeSettings(file.model, n.name, rd, ctx.settings, store.get(n.name) ?? {}).map((s): Row => ({
      name: s.name,
      profile: String(s.fields.profile!.value),
      profile_type: String(s.fields.profile_type!.value),
      ip: (s.fields.ip!.value as string | null) ?? null,
      ip_source: s.fields.ip!.source,
    })),
  }));
  if (input.values.json) {
    input.out.data(JSON.stringify({ file: file.path, nodes }, null, 2));
    return ExitCode.OK;
  }
  const lines: string[][] = [['NODE', 'VM', 'PROFILE', 'IP']];
  for (const n of nodes) {
    if (n.vms.length === 0) lines.push([n.name, '-', '-', '-']);
    for (const v of n.vms)
      lines.push([n.name, v.name, v.profile, v.ip === null ? '(pending)' : v.ip_source === 'pending' ? `${v.ip} (pending)` : v.ip]);
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  input.out.data(lines.map((l) => l.map((c, i) => (i === l.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n'));
  const vmCount = nodes.reduce((a, n) => a + n.vms.length, 0);
  input.out.info(`${nodes.length} compute node${nodes.length === 1 ? '' : 's'}, ${vmCount} VM${vmCount === 1 ? '' : 's'}`);
  return ExitCode.OK;
}
