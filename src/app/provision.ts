import { basename, dirname, join } from 'node:path';
import { checkedOutPath } from '../pillar-writer/safe-file.js';
import { allocateVm } from '../core/allocation.js';
import { UserError } from '../core/errors.js';
import { formatFinding } from '../core/findings.js';
import type { NodeState, VmEntry } from '../core/model.js';
import { resolveNodeSettings } from '../core/node-settings.js';
import { resolvedVm, type ResolvedVm } from '../core/resolved-vm.js';
import { ResultCollector, type RunEvent, type RunListener, type VmResult } from '../core/run-events.js';
import { isComplete, NODE_SETUP, NODE_TASKS, type StepName } from '../core/steps.js';
import type { ControllerSide } from '../engine/controller-side.js';
import type { NodeSetupSpec } from '../engine/node-setup.js';
import { validatePillar } from '../core/validate.js';
import { NodeSession, type CommandRecord } from '../engine/node-session.js';
import { redactor, RunLog, tail } from '../engine/run-log.js';
import { runProvision, selectedSteps } from '../engine/run.js';
import type { Transport } from '../engine/transport.js';
import type { NetPaths } from '../engine/node-net.js';
import { waysIn, wayInVm, type WayInContext, type WayInVm } from '../core/ways-in.js';
import { registerCleanup } from '../process/cleanup.js';
import { DryRunPlan } from './dry-run.js';
import { storeLedger } from './ledger.js';
import { cryptoRandom } from './write-entry.js';
import type { Loaded, Workspace } from './workspace.js';

/** What a run does, as every front end chooses it (`--yes`, `node setup`, the wizard). */
export interface RunSelection {
  dryRun: boolean;
  only?: StepName[];
  from?: StepName;
  concurrency: number;
  noSalt: boolean;
  /** take over existing containers of the selected VMs' names that the tool did not make */
  adopt?: boolean;
  bootsaltScript?: string;
  /** where the run log goes; default <stateHome>/logs/<time>.log */
  logPath?: string;
}

export interface ProvisionOptions extends RunSelection {
  sshPublicKeys: string[];
  stateHome: string;
  transport: (node: string) => Transport;
  /** this installation's node-side names (LXC_WIZARD_INSTANCE); default lxc_wizard's */
  net?: NetPaths;
  /** sessions already open (the wizard probed the node): reused, not reopened */
  sessions?: Map<string, NodeSession>;
  listeners: RunListener[];
  signal: AbortSignal;
  /** node setup before the VMs of these nodes (node setup alone: no VM selected) */
  setup?: Map<string, NodeSetupSpec>;
  /** this host as the controller: minion keys, ping, the default bootstrap */
  controller?: ControllerSide;
  /** what the printed ways in of a node's VMs carry (user, ssh config, key); `forwarded` is this run's finding */
  wayIn?: (node: string) => WayInContext;
}

export interface ProvisionOutcome {
  results: VmResult[];
  /** undefined for a dry run: it writes nothing, not even a log */
  logPath: string | undefined;
  connections: Record<string, number>;
  plan: DryRunPlan;
  /** per VM (`name@node`), how to log in: printed with the result, checked by its reachable step */
  waysIn: Record<string, string[]>;
}

/**
 * The provisioning run both `--yes` and the wizard use: validate the selected VMs, allocate what
 * is pending (in memory for a dry run), open one session per node, run the steps, log everything.
 */
export async function provisionVms(ws: Workspace, loaded: Loaded, selected: VmEntry[], o: ProvisionOptions): Promise<ProvisionOutcome> {
  const { model } = loaded.file;
  const { dryRun } = o;
  const findings = validatePillar(model, ws.settings.env, loaded.store, loaded.rd).filter(
    (f) => f.severity === 'error' && (!f.vm || selected.some((e) => e.name === f.vm)),
  );
  if (findings.length) {
    const list = findings.map((f) => '  ' + formatFinding(f).replace(/\n/g, '\n  ')).join('\n');
    throw new UserError(`the pillar has ${findings.length} error(s) for the VMs to provision; nothing was run:\n${list}`, {
      where: { file: model.file },
      hint: 'fix them (lxc-wizard validate lists them all), or select other VMs with --vm/--node',
    });
  }

  const nodes = [...new Set(selected.map((e) => e.node))];
  const sessions = o.sessions ?? new Map<string, NodeSession>();
  // The connections open now: their handshakes' round trips overlap what the run does before its
  // first command (allocation, the log, the run's set-up: ~65 ms after the pillar is read).
  if (!dryRun)
    for (const node of new Set([...nodes, ...(o.setup?.keys() ?? [])])) {
      if (!sessions.has(node)) sessions.set(node, new NodeSession(o.transport(node), { dryRun, ...(o.net ? { net: o.net } : {}) }));
      sessions.get(node)!.transport.warm?.();
    }
  let log: RunLog | undefined;
  const connections = () => Object.fromEntries([...sessions].map(([n, s]) => [n, s.transport.connections]));
  // Our own sessions close when the run ends, however it ends; a caller's (the wizard's probe)
  // stay open for it.
  const close = async () => {
    if (!o.sessions) await Promise.all([...sessions.values()].map((s) => s.transport.close()));
    log?.close();
  };
  const unregister = registerCleanup(close);
  try {
    // Allocate what is still pending, sorted by name; a dry run allocates in memory only.
    const states = new Map<string, NodeState>();
    for (const node of nodes) {
      const mine = selected
        .filter((e) => e.node === node)
        .map((e) => e.name)
        .sort();
      const fold = (current: NodeState) =>
        mine.reduce((st, vm) => allocateVm(model, node, vm, loaded.rd.defaults, st, cryptoRandom), current);
      states.set(node, dryRun ? fold(loaded.store.get(node) ?? {}) : await ws.store.values.update(node, fold));
    }
    const wayVms = new Map<string, WayInVm>();
    const vms: ResolvedVm[] = selected.map((e) => {
      const [s] = resolveNodeSettings(model, e.node, loaded.rd, ws.settings, states.get(e.node) ?? {}, e);
      wayVms.set(`${e.name}@${e.node}`, wayInVm(s!));
      return resolvedVm(s!);
    });

    const logPath = dryRun
      ? undefined
      : (o.logPath ?? join(o.stateHome, 'logs', `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.log`));
    // the log holds every command run: never written through a link, nor in a folder another user owns or may write
    if (logPath)
      await checkedOutPath(dirname(logPath), basename(logPath), { what: 'log file', ...(o.logPath ? { field: '--log-file' } : {}) });
    log = logPath ? new RunLog(logPath, redactor(vms.map((v) => v.password))) : undefined;
    const steps = selectedSteps(o.only, o.from).map((s) => s.name);
    const collector = new ResultCollector([
      ...[...(o.setup?.keys() ?? [])].map((node) => ({ node, vm: NODE_SETUP, steps: NODE_TASKS })),
      ...vms.map((v) => ({ node: v.node, vm: v.name, steps })),
    ]);
    const plan = new DryRunPlan();
    const listeners: RunListener[] = [collector.listener, plan.listener, ...(log ? [log.listener] : []), ...o.listeners];
    const onCommand = (c: CommandRecord) => {
      const ev: RunEvent = {
        type: 'command',
        node: c.node,
        ...(c.vm ? { vm: c.vm } : {}),
        ...(c.step ? { step: c.step } : {}),
        argv: c.argv,
        stdin: c.stdin,
        dryRun: c.dryRun,
        ...(c.result
          ? {
              code: c.result.code,
              signal: c.result.signal,
              durationMs: Math.round(c.result.durationMs),
              stdoutTail: tail(c.result.stdout),
              stderrTail: tail(c.result.stderr),
            }
          : {}),
        ...(c.error ? { error: c.error } : {}),
        ...(c.batch ? { batch: c.batch } : {}),
      };
      for (const l of listeners) l(ev);
    };
    const session = (node: string) => {
      let s = sessions.get(node);
      if (!s || s.opts.dryRun !== dryRun) {
        s = new NodeSession(s?.transport ?? o.transport(node), { dryRun, ...(o.net ? { net: o.net } : {}) });
        sessions.set(node, s);
      }
      s.opts.onCommand = onCommand;
      return s;
    };
    log?.write({ type: 'start', pillar: model.file, vms: vms.map((v) => `${v.name}@${v.node}`), steps });
    await runProvision({
      vms,
      session,
      opts: {
        dryRun,
        bootsaltScript: o.bootsaltScript,
        noSalt: o.noSalt,
        ...(o.adopt ? { adopt: true } : {}),
        sshPublicKeys: o.sshPublicKeys,
        ...(o.controller ? { controller: o.controller } : {}),
        pillarPath: ws.pillarPath,
      },
      only: o.only,
      from: o.from,
      concurrency: dryRun ? 1 : o.concurrency,
      ledger: storeLedger(ws.store),
      listeners,
      signal: o.signal,
      ...(o.setup ? { setup: o.setup } : {}),
    });
    const results = collector.results();
    // the ways in as this run left them: the forward is offered as working only when its step is in place
    const ways: Record<string, string[]> = {};
    if (o.wayIn)
      for (const r of results) {
        const v = wayVms.get(`${r.name}@${r.node}`);
        const forwarded = r.steps.some((x) => x.name === 'reverse_proxy' && isComplete(x.state));
        if (v) ways[`${r.name}@${r.node}`] = waysIn(v, { ...o.wayIn(r.node), forwarded });
      }
    return { results, logPath, connections: connections(), plan, waysIn: ways };
  } finally {
    log?.write({ type: 'end', connections: connections() });
    await close();
    unregister();
  }
}
