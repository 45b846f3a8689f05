import { allocateVm } from '../../src/core/allocation.js';
import { resolveDefaults, type Env } from '../../src/core/defaults.js';
import type { NodeState } from '../../src/core/model.js';
import { resolveNodeSettings } from '../../src/core/node-settings.js';
import { resolvedVm, type ResolvedVm } from '../../src/core/resolved-vm.js';
import { ResultCollector, type RunEvent, type VmResult } from '../../src/core/run-events.js';
import { NODE_SETUP, NODE_TASKS, type StepName } from '../../src/core/steps.js';
import type { NodeSetupSpec } from '../../src/engine/node-setup.js';
import { NodeSession } from '../../src/engine/node-session.js';
import { runProvision, selectedSteps, type Ledger } from '../../src/engine/run.js';
import type { RunOptions } from '../../src/engine/steps/step.js';
import type { Transport } from '../../src/engine/transport.js';
import { model } from './pillar.js';

let n = 0;
const random = { bytes: (k: number) => new Uint8Array(k).map(() => ++n % 256), int: (max: number) => ++n % max };

/** Resolved VMs from pillar text, allocated as `--yes` would (in memory). */
export function vmsFrom(text: string, env: Env = 'prod', controller = 'ctl.example.net'): ResolvedVm[] {
  const m = model(text);
  const rd = resolveDefaults(m, env);
  const out: ResolvedVm[] = [];
  for (const node of m.nodes.keys()) {
    const names = m.vms
      .filter((e) => e.node === node)
      .map((e) => e.name)
      .sort();
    const state: NodeState = names.reduce((st, vm) => allocateVm(m, node, vm, rd.defaults, st, random), {} as NodeState);
    for (const s of resolveNodeSettings(m, node, rd, { env, controller }, state)) out.push(resolvedVm(s));
  }
  return out;
}

export function memoryLedger(): Ledger & { data: Record<string, Record<string, string>> } {
  const data: Record<string, Record<string, string>> = {};
  return {
    data,
    async get(node, vm) {
      return Object.fromEntries(Object.entries(data[`${vm}@${node}`] ?? {}).map(([k, state]) => [k, { state, at: '' }])) as never;
    },
    async record(node, vm, step, state) {
      (data[`${vm}@${node}`] ??= {})[step] = state;
    },
  };
}

export interface RunOutcome {
  results: VmResult[];
  events: RunEvent[];
  sessions: Map<string, NodeSession>;
}

export async function runWith(
  vms: ResolvedVm[],
  transports: Record<string, Transport>,
  o: Partial<RunOptions> & {
    ledger?: Ledger;
    only?: StepName[];
    from?: StepName;
    signal?: AbortSignal;
    concurrency?: number;
    setup?: Map<string, NodeSetupSpec>;
  } = {},
): Promise<RunOutcome> {
  const opts: RunOptions = {
    dryRun: false,
    noSalt: false,
    bootsaltScript: new URL('../fixtures/boot-salt-stand-in.sh', import.meta.url).pathname,
    sshPublicKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests test@ctl'],
    ...o,
  };
  const steps = selectedSteps(o.only, o.from).map((s) => s.name);
  const collector = new ResultCollector([
    ...[...(o.setup?.keys() ?? [])].map((node) => ({ node, vm: NODE_SETUP, steps: NODE_TASKS })),
    ...vms.map((v) => ({ node: v.node, vm: v.name, steps })),
  ]);
  const events: RunEvent[] = [];
  const sessions = new Map<string, NodeSession>();
  await runProvision({
    vms,
    session: (node) =>
      sessions.get(node) ??
      sessions
        .set(
          node,
          new NodeSession(transports[node]!, {
            dryRun: opts.dryRun,
            onCommand: (c) => events.push({ type: 'command', node: c.node, argv: c.argv, stdin: c.stdin, dryRun: c.dryRun }),
          }),
        )
        .get(node)!,
    opts,
    only: o.only,
    from: o.from,
    concurrency: o.concurrency ?? 4,
    ledger: o.ledger ?? memoryLedger(),
    listeners: [collector.listener, (e) => events.push(e)],
    signal: o.signal ?? new AbortController().signal,
    ...(o.setup ? { setup: o.setup } : {}),
  });
  return { results: collector.results(), events, sessions };
}

export const states = (r: VmResult) => Object.fromEntries(r.steps.map((s) => [s.name, s.state]));
