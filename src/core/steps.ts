/**
 * The step vocabulary every layer speaks: the engine runs these steps, the run view, the summary,
 * the ledger and --json name them. No engine code here, so the wizard and the UI can import it.
 */
export type StepName =
  | 'preflight'
  | 'spawn'
  | 'reverse_proxy'
  | 'hostsfile'
  | 'sshkeys'
  | 'grains'
  | 'initial_setup'
  | 'initial_highstate'
  | 'ping'
  | 'reachable';

/**
 * The order of a VM's steps: preflight, the seed's six (spawn, hostsfile, sshkeys, grains,
 * initial_setup, initial_highstate), with the ssh reverse proxy right after spawn and the
 * original's post-provision ping, then `reachable`: "ready" means the operator can log in, so a
 * run ends by waiting for the VM's sshd on its IP and its forward.
 */
export const STEP_NAMES: readonly StepName[] = [
  'preflight',
  'spawn',
  'reverse_proxy',
  'hostsfile',
  'sshkeys',
  'grains',
  'initial_setup',
  'initial_highstate',
  'ping',
  'reachable',
];

/**
 * Steps that neither need nor change what the others of the set do, once the container is up:
 * the node's forward, the two hosts files, root's keys, the registry. A run sends them at once
 * (one round trip of waiting instead of four); the views still list them in this order.
 */
export const AT_ONCE: ReadonlySet<StepName> = new Set<StepName>(['reverse_proxy', 'hostsfile', 'sshkeys', 'grains']);

/** The steps in the groups a run goes through one after another: neighbours of AT_ONCE together. */
export function stepPhases<T extends { name: StepName }>(steps: readonly T[]): T[][] {
  const phases: T[][] = [];
  for (const s of steps) {
    const last = phases.at(-1);
    if (last && AT_ONCE.has(s.name) && AT_ONCE.has(last[0]!.name)) last.push(s);
    else phases.push([s]);
  }
  return phases;
}

/** Every step but preflight, which always runs first and is never skipped (reachable, always last, is one). */
export const SEED_STEPS: readonly StepName[] = STEP_NAMES.slice(1);

/**
 * The steps a run goes through for --only and --from: preflight always, then the selected ones in
 * order, and `reachable` always last: whatever part of the work a run did, it says "ready" only
 * once ssh answers on the VM's IP and forward.
 */
export function selectStepNames(only?: readonly StepName[], from?: StepName): StepName[] {
  const start = from ? STEP_NAMES.indexOf(from) : 0;
  return STEP_NAMES.filter((s, i) => ALWAYS.has(s) || ((!only || only.includes(s)) && i >= start));
}

const ALWAYS: ReadonlySet<StepName> = new Set<StepName>(['preflight', 'reachable']);

export function isStepName(s: string): s is StepName {
  return (STEP_NAMES as readonly string[]).includes(s);
}

/**
 * What `node setup` does on a compute node (the seed's install_vt), in order. Their events carry
 * `node setup` as their VM name, so every view shows them under the node like a VM.
 */
export type NodeTaskName = 'node_sshkeys' | 'lxc' | 'bridge' | 'forwarding' | 'masquerade' | 'registry' | 'origin';
export const NODE_TASKS: readonly NodeTaskName[] = ['node_sshkeys', 'lxc', 'bridge', 'forwarding', 'masquerade', 'registry', 'origin'];
export const NODE_SETUP = 'node setup';

/** A VM step, or a node setup task. */
export type TaskName = StepName | NodeTaskName;

/**
 * What happened to a step: `done` (it ran), `already-done` (its check found the result in place),
 * `skipped` (by a flag, or nothing applies; with the reason), `failed`, `interrupted`, `not-run`.
 */
export type StepState = 'running' | 'done' | 'already-done' | 'skipped' | 'failed' | 'interrupted' | 'not-run';

export const STEP_STATE_WORDS: Record<StepState, string> = {
  running: 'running',
  done: 'done',
  'already-done': 'already done',
  skipped: 'skipped',
  failed: 'failed',
  interrupted: 'interrupted',
  'not-run': 'not run',
};

/** A finished VM is "ready" only when every step ran or was found in place. */
export function isComplete(state: StepState): boolean {
  return state === 'done' || state === 'already-done';
}

/** What a VM lacks when a step did not run: said on the result screen and in the summary. */
export const NOT_DONE_MEANS: Partial<Record<StepName, string>> = {
  spawn: 'the container may not exist',
  reverse_proxy: 'ssh -p PORT root@NODE does not reach it',
  hostsfile: "the node's /etc/hosts does not name it",
  sshkeys: "your public keys are not in its root's authorized_keys",
  grains: 'its makina-states registry is not written',
  initial_setup: 'the salt bootstrap did not run: the password shown is not set in the container, and no minion runs',
  initial_highstate: 'salt has not run its highstate',
  ping: 'nobody checked that its minion answers the master',
  reachable: 'nobody checked that ssh reaches it: the ways in printed may not work',
};

/**
 * "Ready" only when every step ran or was found in place; otherwise the steps that did not, in
 * order (skipped by a flag or by the operator, failed, interrupted, not run).
 */
export function readiness<T extends { name: string; state: StepState }>(steps: readonly T[]): { ready: boolean; notDone: T[] } {
  const notDone = steps.filter((s) => !isComplete(s.state));
  return { ready: notDone.length === 0, notDone };
}
