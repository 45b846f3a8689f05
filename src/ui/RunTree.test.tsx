import { describe, expect, it } from 'vitest';
import type { RunEvent } from '../core/run-events.js';
import { STEP_NAMES, type StepState } from '../core/steps.js';
import { renderApp, settle } from '../../test/helpers/ink.js';
import { RunTree } from './RunTree.js';
import { TreeStore } from './tree-store.js';

const snap = (name: string) => `../../snapshots/${name}.txt`;
const VMS = ['a.example.com', 'b.example.com', 'c.example.com'];

function step(vm: string, name: string, state: StepState, extra: Partial<Extract<RunEvent, { type: 'step' }>> = {}): RunEvent {
  return {
    type: 'step',
    node: 'n1.example.net',
    vm,
    step: name as never,
    state,
    durationMs: state === 'running' ? undefined : 1000,
    ...extra,
  };
}

describe('the run tree (--yes on a terminal)', () => {
  it('shows each step under its VM while it runs, folds a finished VM, keeps a failed one open; the node is never ✔ with a failure', async () => {
    const store = new TreeStore(VMS.map((vm) => ({ node: 'n1.example.net', vm, steps: STEP_NAMES })));
    const r = renderApp(<RunTree store={store} />);
    // a: all done but salt skipped; b: running spawn with output; c: failed at preflight
    for (const s of STEP_NAMES)
      store.listener(
        step(
          'a.example.com',
          s,
          s === 'initial_setup' || s === 'initial_highstate' ? 'skipped' : 'done',
          s.startsWith('initial') ? { reason: '--no-salt' } : {},
        ),
      );
    store.listener(step('b.example.com', 'preflight', 'done'));
    store.listener(step('b.example.com', 'spawn', 'running'));
    store.listener({ type: 'progress', node: 'n1.example.net', vm: 'b.example.com', step: 'spawn', line: 'lxc-copy -n b.example.com' });
    store.listener(
      step('c.example.com', 'preflight', 'failed', {
        error: 'bridge br9 does not exist on n1.example.net',
        hint: 'lxc-wizard node setup n1.example.net',
      }),
    );
    await settle(20);
    const frame = r.lastFrame()!;
    const lines = frame.split('\n');
    const at = (text: string) => lines.findIndex((l) => l.includes(text));
    // b is open: its steps sit under it, before c
    expect(at('⠋ b.example.com')).toBeGreaterThan(at('a.example.com'));
    expect(at('⠋ spawn')).toBeGreaterThan(at('⠋ b.example.com'));
    expect(at('⠋ spawn')).toBeLessThan(at('c.example.com'));
    expect(frame).toContain('› lxc-copy -n b.example.com');
    // a folded to one line that says what was not done, each skip said once
    expect(frame).toContain('↓ a.example.com  provisioned, not done: initial_setup (--no-salt), initial_highstate (--no-salt)');
    expect(lines.filter((l) => l.includes('--no-salt'))).toHaveLength(1);
    // c stays open with error and hint
    expect(frame).toContain('✖ c.example.com  failed at preflight');
    expect(frame).toContain('bridge br9 does not exist on n1.example.net');
    expect(frame).toContain('hint: lxc-wizard node setup n1.example.net');
    expect(lines[0]).toMatch(/^✖ n1\.example\.net/);
    for (const s of STEP_NAMES.slice(1)) store.listener(step('b.example.com', s, 'done'));
    store.end('/var/log/run.log');
    await settle(20);
    const last = r.lastFrame()!;
    expect(last).toContain('✔ b.example.com  ready (10 done)');
    expect(last).toContain('log: /var/log/run.log');
    expect(last.split('\n')[0]).toMatch(/^✖ n1\.example\.net/);
    // a VM's own elapsed time is the clock's (the steps' come from the events); the frame is 100 columns wide
    await expect(last.replace(/(^|\s)[0-9]+\.[0-9]s$/gm, '$1Ns')).toMatchFileSnapshot(snap('10-run-tree'));
  });

  it('a node whose VMs are all ready is ✔', async () => {
    const store = new TreeStore([{ node: 'n2', vm: 'x.example.com', steps: ['preflight', 'spawn'] }]);
    const r = renderApp(<RunTree store={store} />);
    store.listener({ type: 'step', node: 'n2', vm: 'x.example.com', step: 'preflight', state: 'done', durationMs: 10 });
    store.listener({ type: 'step', node: 'n2', vm: 'x.example.com', step: 'spawn', state: 'already-done', durationMs: 10 });
    await settle(20);
    expect(r.lastFrame()!.split('\n')[0]).toBe('✔ n2');
    expect(r.lastFrame()).toContain('✔ x.example.com  ready (1 done, 1 already done)');
  });
});
