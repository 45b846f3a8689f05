import { ExitCode, UserError } from '../core/errors.js';
import { findVm, vmsOfNode, type PillarModel } from '../core/model.js';
import { didYouMean } from '../core/naming.js';
import { resolveNodeSettings } from '../core/node-settings.js';
import { validatePillar } from '../core/validate.js';
import { forwardInPlace } from '../app/ledger.js';
import { wayInContext } from '../app/node-access.js';
import { loadWorkspace, openWorkspace } from '../app/workspace.js';
import { settingsDocument, settingsText } from './format.js';
import { flag, reachOptions, workspaceOptions } from './options.js';
import type { CommandInput } from './types.js';

export async function run(input: CommandInput): Promise<number> {
  const [node, vm] = input.args as [string, string];
  const ws = await openWorkspace(workspaceOptions(input));
  const loaded = await loadWorkspace(ws);
  const { model } = loaded.file;
  const entry = findVm(model, node, vm);
  if (!entry) throw notFound(model, node, vm);
  const [s] = resolveNodeSettings(model, node, loaded.rd, ws.settings, loaded.store.get(node) ?? {}, entry);
  const errors = validatePillar(model, ws.settings.env, loaded.store, loaded.rd).filter((f) => f.vm === vm && f.severity === 'error');
  for (const f of errors) input.out.finding(f);
  const showSecrets = flag(input, 'show-secrets');
  const ways = wayInContext(reachOptions(input), node, { forwarded: await forwardInPlace(ws.store, node, vm) });
  if (flag(input, 'json')) input.out.document({ ...settingsDocument(s!, showSecrets, ways), errors });
  else input.out.data(settingsText(s!, showSecrets, ways));
  // Settings of an entry with errors are not what a run would use: say so in the exit status too.
  return errors.length ? ExitCode.FAILURE : ExitCode.OK;
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
    vmsOfNode(model, node).map((e) => e.name),
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
  });
}
