import { stringify } from 'yaml';
import { ExitCode, UserError } from '../core/errors.js';
import { findVm, type PillarModel } from '../core/model.js';
import { didYouMean } from '../core/naming.js';
import { resolveNodeSettings } from '../core/node-settings.js';
import { settingsValues, type VmSettings } from '../core/settings.js';
import { validatePillar } from '../core/validate.js';
import { loadPillar, pillarContext } from './context.js';
import type { CommandInput } from './spec.js';

export async function run(input: CommandInput): Promise<number> {
  const [node, vm] = input.args as [string, string];
  const ctx = pillarContext(input);
  const loaded = await loadPillar(ctx);
  const { model } = loaded.file;
  const entry = findVm(model, node, vm);
  if (!entry) throw notFound(model, node, vm);
  const [s] = resolveNodeSettings(model, node, loaded.rd, ctx.settings, loaded.store.get(node) ?? {}, entry) as [VmSettings];
  for (const f of validatePillar(model, ctx.settings.env, loaded.store, loaded.rd))
    if (f.vm === vm && f.severity === 'error') input.out.finding(f);
  const showSecrets = input.values['show-secrets'] === true;
  if (input.values.json) {
    input.out.data(JSON.stringify(settingsDocument(s, showSecrets), null, 2));
  } else {
    input.out.data(settingsText(s, showSecrets));
  }
  return ExitCode.OK;
}

export function settingsDocument(s: VmSettings, showSecrets: boolean) {
  const sources: Record<string, string> = {};
  for (const [k, f] of Object.entries(s.fields)) sources[k] = f.source;
  return {
    node: s.node,
    name: s.name,
    settings: settingsValues(s, showSecrets),
    sources,
    live: Object.keys(s.fields).filter((k) => s.fields[k]!.live),
    pending: Object.keys(s.fields).filter((k) => s.fields[k]!.source === 'pending'),
  };
}

/** The seed's key/value listing, one line a key, with where each value came from. */
export function settingsText(s: VmSettings, showSecrets: boolean): string {
  const values = settingsValues(s, showSecrets);
  const rows = Object.entries(values).map(([k, v]) => {
    const f = s.fields[k]!;
    const text =
      v === null ? '~' : stringify(v, { version: '1.1', lineWidth: 0, collectionStyle: 'flow', flowCollectionPadding: false }).trimEnd();
    const notes: string[] = [f.source];
    if (f.live) notes.push('live');
    if (f.source === 'pending') notes.push(v === null ? 'generated when the entry is written' : 'would be allocated');
    if (f.secret && !showSecrets && v !== null) notes.push('--show-secrets to reveal');
    return [`${k}: ${text}`, notes.join(', ')] as const;
  });
  const width = Math.min(60, Math.max(...rows.map(([a]) => a.length)));
  return rows.map(([a, b]) => `${a.padEnd(width)}  # ${b}`).join('\n') + '\n';
}

function notFound(model: PillarModel, node: string, vm: string): UserError {
  const elsewhere = model.vms.find((e) => e.name === vm);
  if (elsewhere) {
    return new UserError(`VM '${vm}' is not on compute node '${node}'`, {
      where: { file: model.file, line: elsewhere.line, field: 'CN' },
      hint: `it is on ${elsewhere.node}: lxc-wizard settings ${elsewhere.node} ${vm}`,
    });
  }
  const guess = didYouMean(
    vm,
    model.vms.filter((e) => e.node === node).map((e) => e.name),
    3,
  );
  const nodeKnown = model.nodes.has(node);
  return new UserError(`VM '${vm}' is not in ${model.file}${nodeKnown ? ` under '${node}'` : ''}`, {
    where: { field: nodeKnown ? 'VM' : 'CN' },
    hint: guess
      ? `did you mean ${guess}?`
      : nodeKnown
        ? `add it with: lxc-wizard add ${node} ${vm}`
        : `compute node '${node}' is not in the file either; run lxc-wizard list`,
    exitCode: ExitCode.FAILURE,
  });
}
