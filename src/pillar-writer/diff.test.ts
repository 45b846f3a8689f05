import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePillar } from './read.js';
import { upsertVm } from './edit.js';
import { maskedDiff, pillarDiff } from './diff.js';

/** Where a secret may stand in a pillar: flat keys the original reads, and nested ones. */
const PLACEMENTS = [
  (v: string) => `makina-states.cloud.ssh_gateway_password: ${v}\n`,
  (v: string) => `makina-states.cloud.lxc.defaults.ssh_gateway_password: ${v}\n`,
  (v: string) => `makina-states.cloud.lxc.defaults.password: ${v}\n`,
  (v: string) => `makina-states.cloud.saltify.targets.cn1.example.net.password: ${v}\n`,
  (v: string) => `makina-states.cloud.lxc.defaults:\n  password: ${v}\n`,
  (v: string) => `makina-states.cloud.saltify.targets.cn1.example.net:\n  password: ${v}\n`,
];
const NODE = 'makina-states.cloud.lxc.vms.cn1.example.net:\n  a.example.com: {}\n';

describe('secrets in every output that prints pillar text', () => {
  it('a secret is masked in the diff wherever it stands, flat key or nested, however near the edit (property)', () => {
    fc.assert(
      fc.property(
        fc.subarray(
          PLACEMENTS.map((_, i) => i),
          { minLength: 1 },
        ),
        fc.stringMatching(/^[A-Za-z0-9]{12,24}$/),
        fc.boolean(),
        (which, secret, before) => {
          const lines = which.map((i) => PLACEMENTS[i]!(`${secret}${i}`)).join('');
          const text = before ? NODE + lines : lines + NODE;
          const file = parsePillar('p.sls', text);
          const after = upsertVm(file, 'cn1.example.net', 'b.example.com', { profile_type: 'dir' });
          const diff = pillarDiff(file, after);
          expect(diff).toContain('b.example.com');
          for (const i of which) expect(diff).not.toContain(`${secret}${i}`);
          expect(maskedDiff('p.sls', '', text)).not.toContain(secret);
        },
      ),
      { seed: 23, numRuns: 200 },
    );
  });

  it('masks the value of a key that only ends like a secret after a dot, not one that merely contains the word', () => {
    const text = 'makina-states.cloud.ssh_gateway_password: s3cretvalue\nmy-password-policy: visible\n';
    const diff = maskedDiff('p.sls', '', text);
    expect(diff).not.toContain('s3cretvalue');
    expect(diff).toContain('<hidden #');
    expect(diff).toContain('my-password-policy: visible');
  });
});
