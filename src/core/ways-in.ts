import { shQuote } from './shell-quote.js';
import type { VmSettings } from './settings.js';

/**
 * How an operator logs in to a VM, as commands to paste: each works as printed from the
 * controller (the `reachable` step checks the same ways from the node). One function for every
 * front end: `settings`, a run's summary and --json, the wizard's result screen.
 */
export interface WayInContext {
  /** the user lxc-wizard itself logs in to the node as (its ssh config's User, else root) */
  nodeUser: string;
  /** the ssh config file lxc-wizard follows, when given with --ssh-config (the printed ssh must follow it too) */
  sshConfig?: string;
  /** the private half of the key put in the VM's root authorized_keys, when it is known and on disk */
  key?: string;
  /** the forward is in place, as far as this command knows; otherwise the way through it says how to make it */
  forwarded: boolean;
}

export interface WayInVm {
  node: string;
  name: string;
  ip: string | undefined;
  port: number | undefined;
  /** the pillar's ssh_gateway (default: the node) and its user */
  gateway?: string;
  gatewayUser?: string;
}

export function waysIn(v: WayInVm, c: WayInContext): string[] {
  const opts = [...(c.sshConfig ? ['-F', shQuote(c.sshConfig)] : []), ...(c.key ? ['-i', shQuote(c.key)] : [])];
  const ssh = (...rest: string[]) => ['ssh', ...opts, ...rest].join(' ');
  if (!v.ip) return [];
  // The controller is the node: the bridge is here, the VM answers on its own address. The
  // forward does not apply to loopback, and a jump would need an sshd on the controller.
  if (v.node === 'localhost') return [ssh(`root@${v.ip}`)];
  const gw = v.gateway ?? v.node;
  // through the node itself, lxc-wizard's own login works as the jump; another gateway is the pillar's
  const user = gw === v.node ? c.nodeUser : (v.gatewayUser ?? 'root');
  const out: string[] = [];
  if (v.port !== undefined)
    out.push(
      ssh('-p', String(v.port), `root@${gw}`) +
        (c.forwarded ? '' : `  (not forwarded yet: lxc-wizard --yes --vm ${v.name} --only reverse_proxy)`),
    );
  out.push(ssh('-J', `${user}@${gw}`, `root@${v.ip}`));
  return out;
}

/** The same as an ~/.ssh/config stanza (the jump way). */
export function sshConfigStanza(v: WayInVm, c: WayInContext): string | undefined {
  if (!v.ip) return undefined;
  const lines = [`Host ${v.name}`, `  HostName ${v.ip}`, '  User root'];
  if (c.key) lines.push(`  IdentityFile ${c.key}`);
  if (v.node !== 'localhost') {
    const gw = v.gateway ?? v.node;
    lines.push(`  ProxyJump ${gw === v.node ? c.nodeUser : (v.gatewayUser ?? 'root')}@${gw}`);
  }
  return lines.join('\n');
}

/** What waysIn needs of a VM's resolved settings. */
export function wayInVm(s: VmSettings): WayInVm {
  const f = (k: string) => s.fields[k]?.value;
  const str = (k: string) => (typeof f(k) === 'string' && f(k) ? (f(k) as string) : undefined);
  const port = f('ssh_reverse_proxy_port');
  return {
    node: s.node,
    name: s.name,
    ip: str('ip'),
    port: typeof port === 'number' ? port : undefined,
    ...(str('ssh_gateway') ? { gateway: str('ssh_gateway') } : {}),
    ...(str('ssh_gateway_user') ? { gatewayUser: str('ssh_gateway_user') } : {}),
  };
}
