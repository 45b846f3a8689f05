import { describe, expect, it } from 'vitest';
import type { VmResult } from '../core/run-events.js';
import type { StepName } from '../core/steps.js';
import { runSummary } from './format.js';

const done = (names: StepName[]) => names.map((name) => ({ name, state: 'done' as const }));

describe('the run summary', () => {
  it('a VM whose sshd never answered is "not done: reachable" with the reason and hint, never "ready"', () => {
    const results: VmResult[] = [
      { node: 'cn', name: 'ok.example.com', ok: true, steps: done(['preflight', 'spawn', 'reachable']) },
      {
        node: 'cn',
        name: 'bb.example.com',
        ok: false,
        steps: [
          ...done(['preflight', 'spawn']),
          {
            name: 'reachable',
            state: 'failed',
            error: 'no sshd answers on 10.5.0.3:22 within 30 s: no sshd in the image',
            hint: 'use an image with openssh-server',
          },
        ],
      },
    ];
    expect(runSummary(results)).toBe(
      [
        'ok.example.com on cn: ready (3 done)',
        'bb.example.com on cn: not done: reachable (no sshd answers on 10.5.0.3:22 within 30 s: no sshd in the image)',
        '  hint: use an image with openssh-server',
        '2 VMs: 1 ready, 1 with steps not done',
      ].join('\n'),
    );
  });
});
