import type { RunEvent } from '../../src/core/run-events.js';
import { STEP_NAMES } from '../../src/core/steps.js';
import type { Preview, WizardServices } from '../../src/wizard/services.js';
import type { NodeProbe } from '../../src/wizard/types.js';

/** In-memory services: what the wizard would write and run, recorded; failures scripted. */
export function fakeServices(o: { probe?: Partial<NodeProbe>; failStep?: string; failTimes?: number; hangStep?: string } = {}) {
  const written: { node: string; vm: string; entry: Record<string, unknown> }[] = [];
  const runs: { node: string; vm: string; only?: string[] }[] = [];
  let failsLeft = o.failTimes ?? 1;
  const services: WizardServices & { written: typeof written; runs: typeof runs; remembered: boolean[] } = {
    written,
    runs,
    remembered: [],
    pillarPath: '/srv/pillar/lxc.sls',
    env: 'prod',
    defaults: { mode: 'mastersalt', origin: 'makina-states-precise', image: 'ubuntu', branch: 'stable' },
    nodes: () => [
      { name: 'devhost10.local', vmCount: 5 },
      { name: 'localhost', vmCount: 0 },
    ],
    existing: (name) =>
      name === 'gfoobar.test.com'
        ? { node: 'devhost10.local', line: 6, keys: { profile_type: 'lvm', profile: 'small', ip: '10.5.10.16' } }
        : undefined,
    probe: async () => ({
      state: 'ok',
      lxcVersion: '5.0.2',
      freeKb: 50 * 1024 * 1024,
      stopped: ['makina-states-precise', 'base-bookworm'],
      volumeGroups: ['lxc'],
      ...o.probe,
    }),
    nextFreeIp: () => '10.5.0.2',
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
    write: async (node, vm, entry) => void written.push({ node, vm, entry }),
    run: async (node, vm, onEvent: (e: RunEvent) => void, signal, opts) => {
      runs.push({ node, vm, only: opts.only });
      const steps = ['preflight', ...(opts.only ?? STEP_NAMES.slice(1))];
      for (const step of steps) {
        onEvent({ type: 'step', node, vm, step: step as never, state: 'running' });
        onEvent({ type: 'progress', node, vm, step: step as never, line: `working on ${step}` });
        await new Promise((r) => setTimeout(r, 1));
        if (step === o.hangStep) await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
        if (signal.aborted) {
          onEvent({ type: 'step', node, vm, step: step as never, state: 'interrupted', error: 'interrupted' });
          return { ok: false, logFile: '/tmp/run.log' };
        }
        if (step === o.failStep && failsLeft-- > 0) {
          onEvent({
            type: 'step',
            node,
            vm,
            step: step as never,
            state: 'failed',
            error: 'chpasswd is not available',
            hint: 'use an image that has chpasswd',
            durationMs: 5,
          });
          return { ok: false, logFile: '/tmp/run.log' };
        }
        onEvent({ type: 'step', node, vm, step: step as never, state: 'done', durationMs: 5 });
      }
      return { ok: true, logFile: '/tmp/run.log' };
    },
    settings: () => ({
      ip: '10.5.0.2',
      mac: '00:16:3e:12:34:56',
      gateway: '10.5.0.1',
      ssh_reverse_proxy_port: 40000,
      password: 'S3cretS3cretS3cret',
      ssh_gateway_user: 'root',
    }),
    rememberAdvanced: (open) => void services.remembered.push(open),
  };
  return services;
}
