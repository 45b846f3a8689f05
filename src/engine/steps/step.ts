import { UserError } from '../../core/errors.js';
import type { ResolvedVm } from '../../core/resolved-vm.js';
import type { ControllerSide } from '../controller-side.js';
import type { StepName, TaskName } from '../../core/steps.js';
import { NodeSession, lastLine } from '../node-session.js';
import type { ExecResult } from '../transport.js';

export interface RunOptions {
  dryRun: boolean;
  /** local path of boot-salt.sh to upload; undefined: the salt parts fail unless noSalt */
  bootsaltScript?: string;
  noSalt: boolean;
  /** take over an existing container of the VM's name that lxc-wizard did not make */
  adopt?: boolean;
  /** public key lines for root's authorized_keys in the VM */
  sshPublicKeys: string[];
  /** the controller's master and salt commands; undefined: no minion keys, no ping (tests of other steps) */
  controller?: ControllerSide;
  /** the pillar the run reads: hints name the commands to run with it */
  pillarPath?: string;
}

/** What every task's context has: where it runs and whether anything may change. */
export interface TaskContextBase {
  node: string;
  /** the VM, or `node setup` for node tasks */
  vm: string;
  signal: AbortSignal;
  dryRun: boolean;
}

export interface StepContext extends TaskContextBase {
  v: ResolvedVm;
  session: NodeSession;
  opts: RunOptions;
  signal: AbortSignal;
  /** the ledger says this run or an earlier one spawned this container */
  spawnedBefore: boolean;
  /** the steps this run goes through (--only, --from) */
  steps: readonly StepName[];
  /** one line of progress for the live view */
  progress(line: string): void;
}

/** A step failed for a reason the operator can act on. */
export class StepError extends UserError {
  constructor(message: string, hint?: string) {
    super(message, { hint });
  }
}

/**
 * What apply found it cannot do, and why, with nothing changed: the task is reported `skipped`
 * with this reason (so the VM is not "ready"), and the run goes on to the next step.
 */
export class StepSkipped extends Error {}

/**
 * check → apply → verify. check answers `true` (already done: its result is in place), `false`
 * (apply it), or a string: skipped for that reason (a flag, or nothing applies).
 */
export interface Task<C extends TaskContextBase> {
  name: TaskName;
  check(ctx: C): Promise<boolean | string>;
  apply(ctx: C): Promise<void>;
  /** after apply: the check must now hold (or this throws); default: check again */
  verify?(ctx: C): Promise<void>;
}

export type Step = Task<StepContext> & { name: StepName };

/**
 * Run inside the VM; a non-zero exit is a StepError with the command's last line, unless
 * `explain` knows the failure better (a part of a combined command that failed).
 */
export async function inVm(
  ctx: StepContext,
  argv: string[],
  o: {
    stdin?: string;
    stdinNote?: string;
    timeoutS?: number;
    what: string;
    hint?: string;
    explain?: (r: ExecResult) => StepError | undefined;
  },
): Promise<ExecResult> {
  const r = await ctx.session.change(NodeSession.attach(ctx.vm, argv), {
    stdin: o.stdin,
    stdinNote: o.stdinNote,
    timeoutS: o.timeoutS,
    signal: ctx.signal,
    onLine: (l) => ctx.progress(l),
  });
  if (r.code !== 0) throw o.explain?.(r) ?? new StepError(`${o.what} failed in ${ctx.vm}: ${lastLine(r)}`, o.hint);
  return r;
}

/** Every file a step checks inside a VM: fetched together on the first read. */
export const VM_FILES = [
  '/etc/hosts',
  '/etc/resolv.conf',
  '/root/.ssh/authorized_keys',
  '/etc/mastersalt/makina-states/cloud.yaml',
  '/etc/mastersalt/makina-states/nodetypes.yaml',
  '/etc/salt/makina-states/cloud.yaml',
  '/etc/salt/makina-states/nodetypes.yaml',
  '/.initialspasses',
  '/etc/makina-states/lxc-wizard-bootsalt',
  '/etc/makina-states/initial_highstate',
  // the guest's own network, as spawn configured it (guest-net.ts)
  '/etc/network/interfaces',
  '/etc/init.d/rcS',
  '/etc/netplan/90-lxc-wizard.yaml',
  '/etc/systemd/network/05-lxc-wizard-eth0.network',
] as const;

/** Read a file in the VM; in a dry run of a VM that does not exist yet, every file is absent. */
export async function readInVm(ctx: StepContext, path: string): Promise<string | undefined> {
  if (ctx.opts.dryRun && !(await ctx.session.facts()).containers.has(ctx.vm)) return undefined;
  await ctx.session.prefetch(ctx.vm, [...VM_FILES, path]);
  return ctx.session.readFile(path, ctx.vm);
}

/** Replace (or append) the block between two marker lines; never duplicates it. */
export function replaceBlock(text: string, start: string, end: string, body: string[]): string {
  const block = [start, ...body, end].join('\n');
  const lines = text.split('\n');
  const s = lines.indexOf(start);
  const e = s >= 0 ? lines.indexOf(end, s) : -1;
  if (s >= 0 && e >= 0) {
    lines.splice(s, e - s + 1, block);
    return lines.join('\n');
  }
  const base = text.length === 0 || text.endsWith('\n') ? text : text + '\n';
  return `${base}${block}\n`;
}

export function removeBlock(text: string, start: string, end: string): string {
  const lines = text.split('\n');
  const s = lines.indexOf(start);
  const e = s >= 0 ? lines.indexOf(end, s) : -1;
  if (s < 0 || e < 0) return text;
  lines.splice(s, e - s + 1);
  return lines.join('\n');
}
