import type { RunEvent, StepRecord } from '../../src/core/run-events.js';
import { SIZES } from '../../src/core/sizes.js';
import { NODE_SETUP, NODE_TASKS, STEP_NAMES, type StepName, type StepState } from '../../src/core/steps.js';
import type { Preview, WizardDefaults, WizardServices } from '../../src/wizard/services.js';
import type { NodeProbe } from '../../src/wizard/types.js';

/** The defaults a seed-like pillar resolves to (a fresh copy each time: tests change them). */
export function fakeDefaults(): WizardDefaults {
  return { mode: 'mastersalt', origin: 'makina-states-precise', image: 'ubuntu', branch: 'stable', size: 'medium', sizes: { ...SIZES } };
}

/** In-memory services: what the wizard would write and run, recorded; failures scripted. */
export function fakeServices(
  o: {
    probe?: Partial<NodeProbe>;
    /** the probe answers only once this resolves (a node slow to answer) */
    probeGate?: Promise<void>;
    failStep?: string;
    failTimes?: number;
    hangStep?: string;
    /** the nodes of the pillar (default: devhost10.local with 5 VMs, localhost) */
    nodes?: { name: string; vmCount: number }[];
    /** no boot-salt.sh on this controller */
    noBootstrap?: boolean;
    /** node setup fails this many times first */
    setupFails?: number;
  } = {},
) {
  const written: { node: string; vm: string; entry: Record<string, unknown>; update: boolean }[] = [];
  const runs: { node: string; vm: string; from?: string; noSalt: boolean; adopt?: boolean }[] = [];
  const setups: { node: string; origins: string[] }[] = [];
  let setupFails = o.setupFails ?? 0;
  let ready = false;
  let failsLeft = o.failTimes ?? 1;
  const services: WizardServices & { written: typeof written; runs: typeof runs; setups: typeof setups; remembered: boolean[] } = {
    written,
    runs,
    setups,
    remembered: [],
    pillarPath: '/srv/pillar/lxc.sls',
    env: 'prod',
    defaults: fakeDefaults(),
    commandArgs: { context: [], run: [] },
    noSalt: false,
    bootstrap: (mode) => (o.noBootstrap ? undefined : `/srv/${mode}/makina-states/_scripts/boot-salt.sh`),
    nodes: () =>
      o.nodes ?? [
        { name: 'devhost10.local', vmCount: 5 },
        { name: 'localhost', vmCount: 0 },
      ],
    existing: (name) =>
      name === 'gfoobar.test.com'
        ? { node: 'devhost10.local', line: 6, keys: { profile_type: 'lvm', profile: 'small', ip: '10.5.10.16' } }
        : undefined,
    probe: async () => {
      await o.probeGate;
      return {
        state: 'ok',
        lxcVersion: '5.0.2',
        freeKb: 50 * 1024 * 1024,
        stopped: ['makina-states-precise', 'base-bookworm'],
        volumeGroups: ['lxc'],
        missing: [],
        ...o.probe,
        // after a node setup the node has what it lacked
        ...(ready ? { missing: [], lxcVersion: '5.0.2', stopped: ['makina-states-precise', ...setups.flatMap((x) => x.origins)] } : {}),
      } as NodeProbe;
    },
    ipOnWrite: () => '10.5.0.2',
    preview: (node, vm, entry): Preview => ({
      profile: `ms-${node.replaceAll('.', '-')}-${String(entry.profile_type ?? 'lvm')}`,
      settings: { profile_type: entry.profile_type, ip: '10.5.0.2', password: '<hidden>', mode: entry.mode ?? 'mastersalt' },
      warnings:
        entry.profile_type === 'overlayfs'
          ? ['do not use snapshot in production (overlayfs clones are snapshots of makina-states-precise)']
          : [],
      errors: [],
      diff: `--- a/srv/pillar/lxc.sls\n+++ b/srv/pillar/lxc.sls\n@@ -1,1 +1,3 @@\n makina-states.services.cloud.lxc.targets.${node}:\n+  ${vm}:\n+    profile_type: ${String(entry.profile_type)}\n`,
    }),
    write: async (node, vm, entry, w) => void written.push({ node, vm, entry, update: w.update }),
    setupNode: async (node, origins, onEvent: (e: RunEvent) => void) => {
      setups.push({ node, origins });
      const steps = NODE_TASKS.map((name) => ({ name, state: 'done' as StepState }));
      const fail = setupFails-- > 0;
      for (const [i, st] of NODE_TASKS.entries()) {
        onEvent({ type: 'step', node, vm: NODE_SETUP, step: st, state: 'running' });
        if (fail && st === 'lxc') {
          onEvent({ type: 'step', node, vm: NODE_SETUP, step: st, state: 'failed', error: 'apt-get failed', hint: 'check the node' });
          steps.forEach((x, j) => (x.state = j < i ? 'done' : j === i ? 'failed' : 'not-run'));
          return { ok: false, interrupted: false, logFile: '/tmp/setup.log', steps };
        }
        onEvent({ type: 'step', node, vm: NODE_SETUP, step: st, state: 'done', durationMs: 5 });
      }
      ready = true;
      return { ok: true, interrupted: false, logFile: '/tmp/setup.log', steps };
    },
    run: async (node, vm, onEvent: (e: RunEvent) => void, signal, opts) => {
      runs.push({ node, vm, ...(opts.from ? { from: opts.from } : {}), noSalt: opts.noSalt, ...(opts.adopt ? { adopt: true } : {}) });
      const all = STEP_NAMES as readonly StepName[];
      const steps = ['preflight', ...all.slice(opts.from ? all.indexOf(opts.from) : 1)] as StepName[];
      const outcome: StepRecord[] = all.map((name) => ({ name, state: 'not-run' as StepState }));
      const set = (name: string, r: Omit<StepRecord, 'name'>) =>
        Object.assign(
          outcome.find((x) => x.name === name)!,
          r,
        );
      for (const step of steps) {
        onEvent({ type: 'step', node, vm, step: step as never, state: 'running' });
        onEvent({ type: 'progress', node, vm, step: step as never, line: `working on ${step}` });
        await new Promise((r) => setTimeout(r, 1));
        if (step === o.hangStep) await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
        if (signal.aborted) {
          onEvent({ type: 'step', node, vm, step: step as never, state: 'interrupted', error: 'interrupted' });
          set(step, { state: 'interrupted', error: 'interrupted' });
          return { ok: false, interrupted: true, logFile: '/tmp/run.log', steps: outcome };
        }
        if (step === o.failStep && failsLeft-- > 0) {
          const failure = { error: 'chpasswd is not available', hint: 'use an image that has chpasswd', durationMs: 5 };
          onEvent({ type: 'step', node, vm, step: step as never, state: 'failed', ...failure });
          set(step, { state: 'failed', ...failure });
          return { ok: false, interrupted: false, logFile: '/tmp/run.log', steps: outcome };
        }
        const skip = opts.noSalt && (step === 'initial_setup' || step === 'initial_highstate');
        const r = skip ? { state: 'skipped' as StepState, reason: '--no-salt' } : { state: 'done' as StepState, durationMs: 5 };
        onEvent({ type: 'step', node, vm, step: step as never, ...r });
        set(step, r);
      }
      return { ok: true, interrupted: false, logFile: '/tmp/run.log', steps: outcome };
    },
    settings: () => ({
      ip: '10.5.0.2',
      mac: '00:16:3e:12:34:56',
      gateway: '10.5.0.1',
      ssh_reverse_proxy_port: 40000,
      password: 'S3cretS3cretS3cret',
      ssh_gateway_user: 'root',
    }),
    waysIn: (node, vm) => ({
      lines: [`ssh -p 40000 root@${node}`, `ssh -J root@${node} root@10.5.0.2`],
      stanza: `Host ${vm}\n  HostName 10.5.0.2\n  User root\n  ProxyJump root@${node}`,
    }),
    rememberAdvanced: (open) => void services.remembered.push(open),
  };
  return services;
}

/**
 * Services as drawn before the pillar is read (nothing kept of its bytes): no nodes, and env and
 * defaults refuse to be read, until `ready()` (which waits for `parsed`) resolves.
 */
export function unreadServices(parsed: Promise<void>, o: Parameters<typeof fakeServices>[0] = {}) {
  const services = fakeServices(o);
  let read = false;
  const { nodes, env, defaults } = services;
  const known = <T>(v: T): T => {
    if (!read) throw new Error('read before the pillar was read');
    return v;
  };
  services.nodes = () => (read ? nodes() : undefined);
  Object.defineProperty(services, 'env', { get: () => known(env) });
  Object.defineProperty(services, 'defaults', { get: () => known(defaults) });
  let started = 0;
  services.ready = () => (started++, parsed.then(() => void (read = true)));
  return Object.assign(services, { started: () => started });
}
