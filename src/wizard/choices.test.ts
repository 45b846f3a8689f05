import { describe, expect, it } from 'vitest';
import { imageProblem, initialImage, originChoices, settingApplies } from './choices.js';
import type { NodeProbe } from './types.js';

const probe = (o: Partial<NodeProbe>): NodeProbe => ({ state: 'ok', stopped: [], volumeGroups: [], missing: [], ...o });

describe("choices from the node's facts", () => {
  it('origins: the default, then the stopped containers, the VMs lxc-wizard made last with why they may not fit', () => {
    const c = originChoices(
      probe({ stopped: ['web1.example.com', 'base-bookworm', 'makina-states-precise'], vms: ['web1.example.com'] }),
      'makina-states-precise',
    );
    expect(c.map((x) => x.label)).toEqual([
      'makina-states-precise',
      'base-bookworm',
      'web1.example.com  (a VM: its clones copy its keys and files)',
    ]);
    expect(originChoices(probe({ stopped: ['b'] }), 'a').map((x) => x.label)).toEqual(['b']);
    expect(originChoices(probe({ stopped: [] }), 'a').map((x) => x.label)).toEqual(['a  (not on the node yet)']);
  });

  it("templates: checked against those the node has once probed; a path is the operator's; the default only when there", () => {
    const p = probe({ templates: ['busybox', 'debian'] });
    expect(imageProblem('busyboxx', p)).toBe('the node has no template busyboxx: it has busybox, debian');
    expect(imageProblem('busybox', p)).toBeUndefined();
    expect(imageProblem('local/my-template', p)).toBeUndefined();
    expect(imageProblem('anything', undefined)).toBeUndefined();
    expect(imageProblem('x', probe({ templates: [] }))).toMatch(/no LXC templates/);
    expect(initialImage('ubuntu', p)).toBe('debian');
    expect(initialImage('busybox', p)).toBe('busybox');
    expect(initialImage('ubuntu', undefined)).toBe('ubuntu');
  });

  it('the review shows what applies: origin to a clone, template to a create, size to LVM, salt settings with salt', () => {
    expect(settingApplies('from_container', 'dir-scratch', false)).toBe(false);
    expect(settingApplies('image', 'dir-scratch', false)).toBe(true);
    expect(settingApplies('image', 'overlayfs', false)).toBe(false);
    expect(settingApplies('size', 'dir', false)).toBe(false);
    expect(settingApplies('size', 'lvm', false)).toBe(true);
    expect(settingApplies('master', 'lvm', true)).toBe(false);
    expect(settingApplies('ip', 'lvm', true)).toBe(true);
  });
});
