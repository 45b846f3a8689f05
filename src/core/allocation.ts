import type { Defaults } from './defaults.js';
import { UserError } from './errors.js';
import { broadcastOf, formatIPv4, inNetwork, networkOf, parseIPv4, parseNetmask, type Network } from './ipv4.js';
import { vmsOfNode, type NodeState, type PillarModel, type StoredVm, type VmEntry } from './model.js';

/**
 * Pure allocators: given what is taken, pick the next value. The state store persists what they
 * pick; keeping them pure lets property tests hammer them.
 */

export interface VmNet {
  net: Network;
  gateway: number;
}

/** The network a VM lives in: its own keys, else the defaults. Undefined when those keys are broken. */
export function vmNet(entry: VmEntry | undefined, d: Defaults): VmNet | undefined {
  const k = entry?.keys ?? {};
  // Broken defaults give no network, unless the entry sets all three itself: never a fallback.
  if (d.networkProblem && !(k.network !== undefined && k.netmask !== undefined && k.gateway !== undefined)) return undefined;
  const netAddr = parseIPv4(typeof k.network === 'string' ? k.network : d.network);
  const prefix = k.netmask !== undefined ? parseNetmask(k.netmask) : d.netmask;
  const gateway = parseIPv4(typeof k.gateway === 'string' ? k.gateway : d.gateway);
  if (netAddr === undefined || prefix === undefined || gateway === undefined) return undefined;
  return { net: networkOf(netAddr, prefix), gateway };
}

/** Why an explicit IP cannot be used in this network, or undefined. */
export function ipPlacementProblem(ip: number, n: VmNet): string | undefined {
  const cidr = `${formatIPv4(n.net.base)}/${n.net.prefix}`;
  if (!inNetwork(ip, n.net)) return `is outside the node's network ${cidr}`;
  if (ip === n.net.base) return `is the network address of ${cidr}`;
  if (ip === broadcastOf(n.net)) return `is the broadcast address of ${cidr}`;
  if (ip === n.gateway) return `is the gateway address`;
  return undefined;
}

/** First free address from .0.2 upward, skipping .0, .255, the gateway and every taken one. */
export function firstFreeIp(n: VmNet, taken: ReadonlySet<number>, from?: number): number | undefined {
  const last = broadcastOf(n.net) - 1;
  for (let ip = Math.max(from ?? 0, n.net.base + 2); ip <= last; ip++) {
    const octet = ip & 255;
    if (octet === 0 || octet === 255 || ip === n.gateway || taken.has(ip)) continue;
    return ip;
  }
  return undefined;
}

export function firstFreePort(taken: ReadonlySet<number>, start: number, end: number): number | undefined {
  for (let p = start; p <= end; p++) if (!taken.has(p)) return p;
  return undefined;
}

/** 00:16:3e (the Xen/LXC OUI) + 3 random bytes, unique on the node. */
export function generateMac(taken: ReadonlySet<string>, randomBytes: (n: number) => Uint8Array): string {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const b = randomBytes(3);
    const mac = ['00', '16', '3e', ...[...b].map((x) => x.toString(16).padStart(2, '0'))].join(':');
    if (!taken.has(mac)) return mac;
  }
  throw new UserError('could not find a free MAC address after 1000 tries', {
    hint: 'the node holds an implausible number of containers; set mac: explicitly',
  });
}

const PASSWORD_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 32 characters drawn uniformly (randomInt must be a CSPRNG's, unbiased). */
export function generatePassword(randomInt: (max: number) => number, length = 32): string {
  let s = '';
  for (let i = 0; i < length; i++) s += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  return s;
}

export interface PendingValues {
  ip?: string;
  ssh_reverse_proxy_port?: number;
}

function explicitIp(e: VmEntry, n: VmNet | undefined): number | undefined {
  if (typeof e.keys.ip !== 'string') return undefined;
  const ip = parseIPv4(e.keys.ip);
  return ip !== undefined && (!n || !ipPlacementProblem(ip, n)) ? ip : undefined;
}

/**
 * What is taken on a node: the explicit values of its VMs in this pillar, and every value the store
 * holds for the node, whoever it was handed to (a VM of another pillar in the same directory, an
 * entry commented out, a destroyed container kept for a re-provision). Only an explicit act
 * releases a stored value (destroy --forget, forget).
 */
export function reserved(
  model: PillarModel,
  node: string,
  d: Defaults,
  state: NodeState,
): { ips: Set<number>; ports: Set<number>; macs: Set<string> } {
  const ips = new Set<number>();
  const ports = new Set<number>();
  const macs = new Set<string>();
  for (const e of model.vms) {
    if (e.node !== node) continue;
    const ip = explicitIp(e, vmNet(e, d));
    if (ip !== undefined) ips.add(ip);
    if (typeof e.keys.ssh_reverse_proxy_port === 'number') ports.add(e.keys.ssh_reverse_proxy_port);
    if (typeof e.keys.mac === 'string') macs.add(e.keys.mac);
  }
  for (const s of Object.values(state)) {
    const ip = typeof s.ip === 'string' ? parseIPv4(s.ip) : undefined;
    if (ip !== undefined) ips.add(ip);
    if (s.ssh_reverse_proxy_port !== undefined) ports.add(s.ssh_reverse_proxy_port);
    if (s.mac) macs.add(s.mac);
  }
  return { ips, ports, macs };
}

/**
 * The IP `vm` has on `node` once written now without an IP of its own: its stored one, else what
 * the write's allocation plans for it. VMs waiting for theirs are served in name order (the plan
 * of a batch is the same every time), so a new VM may come before VMs of the pillar that have
 * none yet: what the wizard says before the review is what the write stores.
 */
export function ipOnWriteOf(model: PillarModel, node: string, vm: string, d: Defaults, state: NodeState): string | undefined {
  if (state[vm]?.ip !== undefined) return state[vm].ip;
  const existing = model.vms.find((v) => v.node === node && v.name === vm);
  const keys = { ...existing?.keys };
  delete keys.ip;
  const entry: VmEntry = { node, name: vm, form: existing?.form ?? 'vms', keys, line: existing?.line ?? 0, keyLines: {} };
  const vms = [...model.vms.filter((v) => v !== existing), entry];
  return planNode({ ...model, vms }, node, d, state).get(vm)?.ip;
}

/**
 * The IP and ssh port every VM of a node would get, for those that have neither an explicit nor
 * a stored one: what is taken is reserved first, then VMs are served in sorted name order, so a
 * batch gives the same result every time.
 */
export function planNode(model: PillarModel, node: string, d: Defaults, state: NodeState): Map<string, PendingValues> {
  const entries = vmsOfNode(model, node).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const { ips: takenIps, ports: takenPorts } = reserved(model, node, d, state);
  const plan = new Map<string, PendingValues>();
  let cursor: number | undefined;
  for (const e of entries) {
    const pending: PendingValues = {};
    const n = vmNet(e, d);
    const hasIp = e.keys.ip !== undefined || state[e.name]?.ip !== undefined;
    if (!hasIp && n) {
      // The cursor only helps while every VM shares the default network, which is the usual case.
      const ip = firstFreeIp(n, takenIps, cursor !== undefined && inNetwork(cursor, n.net) ? cursor : undefined);
      if (ip === undefined) {
        throw new UserError(`no free IP address left in ${formatIPv4(n.net.base)}/${n.net.prefix} for ${e.name} on ${node}`, {
          where: { file: model.file, line: e.line },
          hint: 'give this VM an explicit ip:, a larger netmask, or move it to another compute node',
        });
      }
      takenIps.add(ip);
      cursor = ip;
      pending.ip = formatIPv4(ip);
    }
    const hasPort = e.keys.ssh_reverse_proxy_port !== undefined || state[e.name]?.ssh_reverse_proxy_port !== undefined;
    if (!hasPort) {
      const port = firstFreePort(takenPorts, d.ssh_port_range_start, d.ssh_port_range_end);
      if (port === undefined) {
        throw new UserError(`no free ssh reverse-proxy port left in ${d.ssh_port_range_start}-${d.ssh_port_range_end} on ${node}`, {
          where: { file: model.file, line: e.line },
          hint: 'widen makina-states.cloud.lxc.defaults.ssh_port_range_end or remove VMs from this node',
        });
      }
      takenPorts.add(port);
      pending.ssh_reverse_proxy_port = port;
    }
    if (pending.ip !== undefined || pending.ssh_reverse_proxy_port !== undefined) plan.set(e.name, pending);
  }
  return plan;
}

export interface RandomSource {
  bytes: (n: number) => Uint8Array;
  int: (max: number) => number;
}

/**
 * What to store for `vm` so that nothing about it stays pending: the planned IP and port, a fresh
 * MAC unique on the node and a password, each only where neither the pillar nor the store has one.
 */
export function allocateVm(model: PillarModel, node: string, vm: string, d: Defaults, state: NodeState, random: RandomSource): NodeState {
  const next: NodeState = { ...state };
  const entry = model.vms.find((v) => v.node === node && v.name === vm);
  if (!entry) return next;
  const plan = planNode(model, node, d, next).get(vm) ?? {};
  const stored: StoredVm = { ...next[vm] };
  if (plan.ip) stored.ip = plan.ip;
  if (plan.ssh_reverse_proxy_port) stored.ssh_reverse_proxy_port = plan.ssh_reverse_proxy_port;
  if (entry.keys.mac === undefined && stored.mac === undefined) stored.mac = generateMac(reserved(model, node, d, next).macs, random.bytes);
  if (entry.keys.password === undefined && stored.password === undefined) stored.password = generatePassword(random.int);
  // Which pillar first took these values: shown when no pillar uses them any more.
  if (Object.keys(stored).length && !stored.pillar) stored.pillar = model.file;
  next[vm] = stored;
  return next;
}
