import { randomBytes, randomInt } from 'node:crypto';
import { join, resolve } from 'node:path';
import { allocateVm, reconcileNodeState, type RandomSource } from '../core/allocation.js';
import { ExitCode, UserError } from '../core/errors.js';
import { formatFinding } from '../core/findings.js';
import type { NodeState, VmEntry } from '../core/model.js';
import { resolveNodeSettings } from '../core/node-settings.js';
import { settingsValues, type VmSettings } from '../core/settings.js';
import { validatePillar } from '../core/validate.js';
import { registerCleanup, runCleanup } from '../engine/cleanup.js';
import { ResultCollector, type RunEvent, type RunListener, type VmResult } from '../engine/events.js';
import { NodeSession } from '../engine/node-session.js';
import { shJoin } from '../engine/quote.js';
import { redactor, RunLog, tail } from '../engine/run-log.js';
import { runProvision, selectedSteps, type RunVm } from '../engine/run.js';
import { SEED_STEPS, STEP_NAMES, type StepName, type VmValues } from '../engine/steps/context.js';
import { loadPillar, pillarContext, type Loaded, type PillarContext } from './context.js';
import type { Transport } from '../engine/transport.js';
import { publicKeys, stateHome, storeLedger, transportFactory } from './engine-setup.js';
import type { CommandInput } from './spec.js';

const cryptoRandom: RandomSource = { bytes: (n) => randomBytes(n), int: (max) => randomInt(max) };

function parseSteps(raw: unknown, flag: string): StepName[] | undefined {
  if (raw === undefined) return undefined;
  const names = String(raw)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names) {
    if (!STEP_NAMES.includes(n as StepName))
      throw new UserError(`${flag}: unknown step '${n}'`, {
        where: { field: flag },
        hint: `steps: ${SEED_STEPS.join(', ')}`,
        exitCode: ExitCode.USAGE,
      });
  }
  return names as StepName[];
}

export function toValues(s: VmSettings): VmValues {
  return settingsValues(s, true) as unknown as VmValues;
}

export async function run(input: CommandInput): Promise<number> {
  const { values, out, io } = input;
  if (values.yes !== true) {
    throw new UserError('provisioning changes compute nodes: confirm with --yes', {
      where: { field: '--yes' },
      hint: 'lxc-wizard --yes --pillar FILE (add --dry-run to see the commands first)',
      exitCode: ExitCode.USAGE,
    });
  }
  const ctx = pillarContext(input);
  const dryRun = values['dry-run'] === true;
  const only = parseSteps(values.only, '--only');
  const from = parseSteps(values.from, '--from')?.[0];
  const concurrency = values.concurrency === undefined ? 4 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
    throw new UserError(`--concurrency must be a whole number from 1 to 64, not '${String(values.concurrency)}'`, {
      where: { field: '--concurrency' },
      exitCode: ExitCode.USAGE,
    });
  const noSalt = values['no-salt'] === true;
  const bootsaltScript = values['bootsalt-script'] ? resolve(io.cwd, String(values['bootsalt-script'])) : undefined;

  const loaded = await loadPillar(ctx);
  const { model } = loaded.file;
  const wantNode = values.node as string | undefined;
  const wantVms = (values.vm as string[] | undefined) ?? [];
  if (wantNode && !model.nodes.has(wantNode))
    throw new UserError(`compute node '${wantNode}' is not in ${model.file}`, {
      where: { field: '--node' },
      hint: 'lxc-wizard list shows the nodes',
      exitCode: ExitCode.USAGE,
    });
  for (const vm of wantVms)
    if (!model.vms.some((e) => e.name === vm && (!wantNode || e.node === wantNode)))
      throw new UserError(`VM '${vm}' is not in ${model.file}${wantNode ? ` on ${wantNode}` : ''}`, {
        where: { field: '--vm' },
        hint: 'lxc-wizard list shows the VMs',
        exitCode: ExitCode.USAGE,
      });
  const selected = model.vms.filter((e) => (!wantNode || e.node === wantNode) && (!wantVms.length || wantVms.includes(e.name)));
  if (!selected.length)
    throw new UserError(`no VM to provision in ${model.file}`, { hint: 'add one with lxc-wizard add CN VM', exitCode: ExitCode.USAGE });

  const abort = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals > 1) process.exit(ExitCode.INTERRUPTED);
    out.info(`\n${sig}: stopping; running commands are cancelled on the nodes (again to quit at once)`);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let outcome: ProvisionOutcome;
  try {
    outcome = await provisionVms(ctx, loaded, selected, {
      dryRun,
      only,
      from,
      concurrency,
      noSalt,
      bootsaltScript,
      sshPublicKeys: await publicKeys(input),
      logPath: values['log-file'] ? resolve(io.cwd, String(values['log-file'])) : undefined,
      env: io.env,
      transport: transportFactory(input),
      listeners: [],
      signal: abort.signal,
      renderer: 'simple',
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const { results, logPath, connections, dry } = outcome;
  const failed = results.filter((r) => !r.ok);
  if (values.json) {
    out.data(
      JSON.stringify(
        { ok: failed.length === 0, dryRun, logFile: logPath, connections, vms: results, ...(dryRun ? { commands: dry.byVm() } : {}) },
        null,
        2,
      ),
    );
  } else {
    out.data(dryRun ? dry.text() : summary(results));
    if (failed.length) out.info(`log: ${logPath}`);
  }
  if (abort.signal.aborted) return ExitCode.INTERRUPTED;
  return failed.length ? ExitCode.FAILURE : ExitCode.OK;
}

export interface ProvisionOptions {
  dryRun: boolean;
  only?: StepName[];
  from?: StepName;
  concurrency: number;
  noSalt: boolean;
  bootsaltScript?: string;
  sshPublicKeys: string[];
  logPath?: string;
  env: NodeJS.ProcessEnv;
  transport: (node: string) => Transport;
  /** sessions already open (the wizard probed the node): reused, not reopened */
  sessions?: Map<string, NodeSession>;
  listeners: RunListener[];
  signal: AbortSignal;
  renderer: 'simple' | 'silent';
}

export interface ProvisionOutcome {
  results: VmResult[];
  logPath: string;
  connections: Record<string, number>;
  dry: DryRunPrinter;
}

/**
 * The provisioning run both `--yes` and the wizard use: validate the selected VMs, allocate what
 * is pending (in memory for a dry run), open one session per node, run the steps, log everything.
 */
export async function provisionVms(
  ctx: PillarContext,
  loaded: Loaded,
  selected: VmEntry[],
  o: ProvisionOptions,
): Promise<ProvisionOutcome> {
  const { model } = loaded.file;
  const dryRun = o.dryRun;
  const findings = validatePillar(model, ctx.settings.env, loaded.store, loaded.rd).filter(
    (f) => f.severity === 'error' && (!f.vm || selected.some((e) => e.name === f.vm)),
  );
  if (findings.length) {
    throw new UserError(
      `the pillar has ${findings.length} error(s) for the VMs to provision; nothing was run:\n${findings.map((f) => '  ' + formatFinding(f).replace(/\n/g, '\n  ')).join('\n')}`,
      { where: { file: model.file }, hint: 'fix them (lxc-wizard validate lists them all), or select other VMs with --vm/--node' },
    );
  }

  // Allocate what is still pending, sorted by name; a dry run allocates in memory only.
  const nodes = [...new Set(selected.map((e) => e.node))];
  const states = new Map<string, NodeState>();
  for (const node of nodes) {
    const mine = selected
      .filter((e) => e.node === node)
      .map((e) => e.name)
      .sort();
    const fold = (current: NodeState) =>
      mine.reduce((st, vm) => allocateVm(model, node, vm, loaded.rd.defaults, st, cryptoRandom), reconcileNodeState(model, node, current));
    states.set(node, dryRun ? fold(loaded.store.get(node) ?? {}) : await ctx.store.values.update(node, fold));
  }
  const runVms: RunVm[] = selected.map((e: VmEntry) => {
    const [s] = resolveNodeSettings(model, e.node, loaded.rd, ctx.settings, states.get(e.node) ?? {}, e) as [VmSettings];
    return { node: e.node, vm: e.name, values: toValues(s), type: s.type };
  });

  const secrets = runVms.map((r) => r.values.password);
  const logPath = o.logPath ?? join(stateHome(o.env), 'logs', `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}.log`);
  const log = new RunLog(logPath, redactor(secrets));
  const steps = selectedSteps(o.only, o.from).map((s) => s.name);
  const collector = new ResultCollector(runVms.map((r) => ({ node: r.node, vm: r.vm, steps })));
  const dry = new DryRunPrinter();
  const sessions = o.sessions ?? new Map<string, NodeSession>();
  const onCommand = (c: Parameters<NonNullable<NodeSession['opts']['onCommand']>>[0]) => {
    const ev: RunEvent = {
      type: 'command',
      node: c.node,
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
    };
    log.listener(ev);
    dry.listener(ev);
  };
  const session = (node: string) => {
    let s = sessions.get(node);
    if (!s || s.opts.dryRun !== dryRun) {
      s = new NodeSession(s?.transport ?? o.transport(node), { dryRun });
      sessions.set(node, s);
    }
    s.opts.onCommand = onCommand;
    return s;
  };
  const unregister = registerCleanup(async () => {
    await Promise.all([...sessions.values()].map((s) => s.transport.close()));
    log.close();
  });
  log.write({ type: 'start', pillar: model.file, vms: runVms.map((r) => `${r.vm}@${r.node}`), steps, dryRun });
  try {
    await runProvision({
      vms: runVms,
      session,
      opts: { dryRun, bootsaltScript: o.bootsaltScript, noSalt: o.noSalt, sshPublicKeys: o.sshPublicKeys },
      only: o.only,
      from: o.from,
      concurrency: dryRun ? 1 : o.concurrency,
      ledger: storeLedger(ctx.store),
      listeners: [collector.listener, log.listener, dry.listener, ...o.listeners],
      signal: o.signal,
      renderer: o.renderer,
      stderr: process.stderr,
    });
  } finally {
    const connections = Object.fromEntries([...sessions].map(([n, s]) => [n, s.transport.connections]));
    log.write({ type: 'end', connections });
    if (!o.sessions) await runCleanup();
    else log.close();
    unregister();
  }
  const connections = Object.fromEntries([...sessions].map(([n, s]) => [n, s.transport.connections]));
  return { results: collector.results(), logPath, connections, dry };
}

function summary(results: VmResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    const bad = r.steps.find((s) => s.state === 'failed' || s.state === 'interrupted');
    if (!bad) {
      const done = r.steps.filter((s) => s.state === 'done').map((s) => s.name);
      const skipped = r.steps.filter((s) => s.state === 'skipped').length;
      lines.push(
        `${r.name} on ${r.node}: ok (${done.length ? `ran ${done.join(', ')}` : 'nothing to do'}${skipped ? `; ${skipped} already done` : ''})`,
      );
    } else {
      lines.push(`${r.name} on ${r.node}: ${bad.state.toUpperCase()} at ${bad.name}: ${bad.error}`);
      if (bad.hint) lines.push(`  hint: ${bad.hint}`);
    }
  }
  return lines.join('\n');
}

/** --dry-run: the exact commands, per VM and step, in the order they would run. */
export class DryRunPrinter {
  private current: { vm: string; node: string; step: StepName } | undefined;
  private readonly cmds = new Map<string, { node: string; steps: Map<StepName, string[]> }>();
  readonly listener = (e: RunEvent) => {
    if (e.type === 'step' && e.state === 'running') {
      this.current = { vm: e.vm, node: e.node, step: e.step };
      const v = this.cmds.get(e.vm) ?? { node: e.node, steps: new Map() };
      v.steps.set(e.step, []);
      this.cmds.set(e.vm, v);
    } else if (e.type === 'step' && e.state === 'skipped' && this.current?.vm === e.vm) {
      this.cmds.get(e.vm)?.steps.set(e.step, [`# skipped: ${e.reason}`]);
    } else if (e.type === 'command' && e.dryRun && this.current) {
      this.cmds
        .get(this.current.vm)
        ?.steps.get(this.current.step)
        ?.push(shJoin(e.argv) + (e.stdin ? `   # stdin: ${e.stdin}` : ''));
    }
  };
  byVm(): Record<string, Record<string, string[]>> {
    return Object.fromEntries([...this.cmds].map(([vm, v]) => [vm, Object.fromEntries(v.steps)]));
  }
  text(): string {
    const out: string[] = [];
    for (const [vm, v] of this.cmds) {
      out.push(`# ${vm} on ${v.node}`);
      for (const [step, cmds] of v.steps)
        out.push(`## ${step}`, ...(cmds.length ? cmds : [step === 'preflight' ? '# reads only' : '# nothing to change']));
      out.push('');
    }
    return out.join('\n') + '(dry run: nothing was changed)';
  }
}
