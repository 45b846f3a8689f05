/**
 * What `node setup` leaves on a compute node so that its network survives a reboot, and what the
 * reverse-proxy step adds to it. One small systemd service runs one generated POSIX script that
 * reads plain conf files: the modern form of the original's lxc-net-makina job (bridge, address,
 * forwarding, masquerade), the same on Debian and Ubuntu whatever manages their other interfaces
 * (ifupdown, netplan, NetworkManager), and inspected or undone in one place. lxc-wizard applies a
 * change by running the same script, so what is live is what a reboot rebuilds.
 */

import { instanceProblem } from '../core/naming.js';

/**
 * Where one installation keeps its node-side state: every name carries its instance (default
 * `lxc_wizard`, from LXC_WIZARD_INSTANCE), so two installations on one node (a production
 * controller and a test run, two teams) never load, read or remove each other's table, forwards
 * or unit. The default instance's names are those earlier versions used.
 */
export interface NetPaths {
  instance: string;
  dir: string;
  bridges: string;
  forwards: string;
  script: string;
  unit: string;
  /** the unit's name, for systemctl */
  service: string;
  wants: string;
  sysctl: string;
  table: string;
  /** the lock (under /run/lock) that serialises loads of the table */
  lock: string;
}

export const DEFAULT_INSTANCE = 'lxc_wizard';
export { instanceProblem };

export function netPaths(instance: string = DEFAULT_INSTANCE): NetPaths {
  if (instanceProblem(instance)) throw new Error(`bad instance name ${JSON.stringify(instance)}`);
  const slug = instance.replaceAll('_', '-');
  return {
    instance,
    dir: `/etc/${slug}`,
    bridges: `/etc/${slug}/bridges`,
    forwards: `/etc/${slug}/forwards`,
    script: `/usr/local/sbin/${slug}-net`,
    unit: `/etc/systemd/system/${slug}-net.service`,
    service: `${slug}-net.service`,
    wants: `/etc/systemd/system/multi-user.target.wants/${slug}-net.service`,
    sysctl: `/etc/sysctl.d/60-${slug}.conf`,
    table: instance,
    lock: `${slug}-net.lock`,
  };
}

/** The default instance's paths: the node-side names of earlier versions. */
export const NET: NetPaths = netPaths();

/**
 * Shell that rebuilds and loads the table under one lock (script path in "$1"). Two VMs on one node
 * finishing their forwards at once must not load a ruleset each read before the other's conf was
 * there: the later load would drop the earlier VM's forward after its step had said it was done.
 */
export function loadRuleset(n: NetPaths): string {
  return `l=/run/lock; [ -d "$l" ] || l=/tmp; exec 9>>"$l/${n.lock}"; ! command -v flock >/dev/null 2>&1 || flock -w 120 9; "$1" ruleset | nft -f -`;
}

/**
 * The script. It owns the nftables table `ip <instance>` and nothing else: the table is replaced as
 * a whole in one transaction, so an operator's own rules are never read or rewritten.
 */
export function netScript(NET: NetPaths): string {
  return `#!/bin/sh
# ${NET.script}: the LXC network lxc-wizard (instance ${NET.instance}) set up on this compute node,
# kept across reboots. Made by \`lxc-wizard node setup\`; run at boot by ${NET.service}.
#   apply   create the bridges, turn on IPv4 forwarding, and replace the nftables
#                          table ip ${NET.table} (ours alone) with one masquerade rule per bridge
#                          network and one DNAT per ssh forward of ${NET.forwards}
#   lxc-wizard-net stop    remove that table (bridges are left: containers may be attached)
# Conf: ${NET.bridges}/<bridge> (address=GW/PREFIX, network=NET/PREFIX)
#       ${NET.forwards}/<vm> (port=PORT, to=IP:22)
set -eu
CONF=${NET.dir}
# val FILE KEY: the value of the first KEY= line of FILE in $v. Builtins only: every VM's forward
# is read on each load, and a node may hold hundreds (a process each would take seconds).
val() { v=; while IFS= read -r l || [ -n "$l" ]; do case $l in "$2="*) v=\${l#*=}; return 0 ;; esac; done < "$1"; }
# names only (a file being written is a dot-file, never read half-written)
each() { for f in "$CONF/$1"/*; do [ -f "$f" ] && echo "$f"; done; }
# forwards PREFIX: one DNAT per forward conf, its match after PREFIX
forwards() {
  for f in "$CONF/forwards"/*; do
    [ -f "$f" ] || continue
    val "$f" port; port=$v; val "$f" to
    echo "    $1tcp dport $port dnat to $v comment \\"lxcw vm \${f##*/}\\""
  done
}

ruleset() {
  echo 'table ip ${NET.table} {}'
  echo 'delete table ip ${NET.table}'
  echo 'table ip ${NET.table} {'
  echo '  chain prerouting {'
  echo '    type nat hook prerouting priority dstnat; policy accept;'
  # only traffic addressed to this node: a VM's connection to another host's port in the range
  # passes through untouched
  forwards 'fib daddr type local '
  echo '  }'
  echo '  chain output {'
  echo '    type nat hook output priority -100; policy accept;'
  forwards 'ip daddr != 127.0.0.0/8 fib daddr type local '
  echo '  }'
  echo '  chain postrouting {'
  echo '    type nat hook postrouting priority srcnat; policy accept;'
  for f in "$CONF/bridges"/*; do
    [ -f "$f" ] || continue
    val "$f" network
    echo "    ip saddr $v ip daddr != $v masquerade comment \\"lxcw net \${f##*/}\\""
  done
  echo '  }'
  echo '}'
}

case "\${1:-apply}" in
  apply)
    for f in $(each bridges); do
      br=\${f##*/}; val "$f" address; addr=$v
      ip link show "$br" >/dev/null 2>&1 || ip link add "$br" type bridge
      ip -4 -o addr show dev "$br" | grep -q " inet $addr " || ip addr add "$addr" dev "$br"
      ip link set "$br" up
    done
    sysctl -q -w net.ipv4.ip_forward=1
    l=/run/lock; [ -d "$l" ] || l=/tmp
    exec 9>>"$l/${NET.lock}"; ! command -v flock >/dev/null 2>&1 || flock -w 120 9
    ruleset | nft -f -
    ;;
  stop) nft delete table ip ${NET.table} 2>/dev/null || true ;;
  ruleset) ruleset ;;
  *) echo "usage: ${NET.script} apply|stop|ruleset" >&2; exit 2 ;;
esac
`;
}

export function netUnit(NET: NetPaths): string {
  return `# Made by lxc-wizard node setup. Undo: systemctl disable --now ${NET.service}; rm ${NET.unit} ${NET.script}
[Unit]
Description=lxc-wizard (${NET.instance}): LXC bridges, IPv4 forwarding, NAT and ssh forwards
Wants=network-pre.target
After=network-pre.target
Before=network.target lxc.service lxc-net.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=${NET.script} apply
ExecStop=${NET.script} stop

[Install]
WantedBy=multi-user.target
`;
}

export const SYSCTL_CONF = '# Made by lxc-wizard node setup: containers reach the outside through this node.\nnet.ipv4.ip_forward = 1\n';

export function bridgeConf(gateway: string, prefix: number, network: string): string {
  return `# Made by lxc-wizard node setup\naddress=${gateway}/${prefix}\nnetwork=${network}/${prefix}\n`;
}

export function forwardConf(port: number, ip: string): string {
  return `# Made by lxc-wizard (reverse_proxy step): ${port} on this node reaches the VM's ssh\nport=${port}\nto=${ip}:22\n`;
}

/** The live rule of a forward as `nft list table` prints it, for checks. */
export function forwardRule(vm: string, port: number, ip: string): string {
  return `tcp dport ${port} dnat to ${ip}:22 comment "lxcw vm ${vm}"`;
}

export function masqueradeRule(bridge: string, network: string, prefix: number): string {
  return `ip saddr ${network}/${prefix} ip daddr != ${network}/${prefix} masquerade comment "lxcw net ${bridge}"`;
}
