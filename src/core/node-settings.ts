import { planNode, type PendingValues } from './allocation.js';
import type { ResolvedDefaults } from './defaults.js';
import { UserError } from './errors.js';
import { vmsOfNode, type NodeState, type PillarModel, type VmEntry } from './model.js';
import { resolveSettings, type SettingsContext, type VmSettings } from './settings.js';

/**
 * Settings of VMs of one node, pending values included: the plan is computed once per node (the
 * same sorted-order plan `add` and a run would allocate from), never stored.
 */
export function resolveNodeSettings(
  model: PillarModel,
  node: string,
  rd: ResolvedDefaults,
  ctx: SettingsContext,
  state: NodeState,
  only?: VmEntry,
): VmSettings[] {
  let plan: Map<string, PendingValues>;
  try {
    plan = planNode(model, node, rd.defaults, state);
  } catch (err) {
    // Exhaustion is reported by add and run; a read shows the value as pending without one.
    if (!(err instanceof UserError)) throw err;
    plan = new Map();
  }
  const entries = only ? [only] : vmsOfNode(model, node);
  return entries.map((e) => resolveSettings(e, rd, ctx, state[e.name], plan.get(e.name)));
}
