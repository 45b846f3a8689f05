import { describe, expect, it } from 'vitest';
import { sshConfigStanza, waysIn } from './ways-in.js';

const VM = { node: 'cn1.example.net', name: 'web.example.com', ip: '10.5.0.12', port: 40002 };

describe('the ways in (printed by settings, a run and the wizard alike)', () => {
  it("carry what makes them work as printed: the node's login user, the ssh config followed, the key installed", () => {
    const ctx = { nodeUser: 'deploy', sshConfig: '/etc/ops/ssh config', key: '/root/.ssh/ops', forwarded: true };
    expect(waysIn(VM, ctx)).toEqual([
      "ssh -F '/etc/ops/ssh config' -i /root/.ssh/ops -p 40002 root@cn1.example.net",
      "ssh -F '/etc/ops/ssh config' -i /root/.ssh/ops -J deploy@cn1.example.net root@10.5.0.12",
    ]);
    expect(sshConfigStanza(VM, ctx)).toBe(
      'Host web.example.com\n  HostName 10.5.0.12\n  User root\n  IdentityFile /root/.ssh/ops\n  ProxyJump deploy@cn1.example.net',
    );
  });

  it("through a gateway the pillar names, the pillar's user; not forwarded yet, the command that makes it", () => {
    const ctx = { nodeUser: 'deploy', forwarded: false };
    expect(waysIn({ ...VM, gateway: 'bastion.example.net', gatewayUser: 'ops' }, ctx)).toEqual([
      'ssh -p 40002 root@bastion.example.net  (not forwarded yet: lxc-wizard --yes --vm web.example.com --only reverse_proxy)',
      'ssh -J ops@bastion.example.net root@10.5.0.12',
    ]);
  });

  it('on the node localhost (the controller is the node): the VM directly, no forward (loopback), no jump (no sshd needed here)', () => {
    expect(waysIn({ ...VM, node: 'localhost' }, { nodeUser: 'root', forwarded: true })).toEqual(['ssh root@10.5.0.12']);
    expect(waysIn({ ...VM, ip: undefined }, { nodeUser: 'root', forwarded: true })).toEqual([]);
  });
});
