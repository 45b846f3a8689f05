/**
 * The guest's own network configuration, written in its root filesystem before it boots, the way
 * Proxmox does it for its containers. LXC gives eth0 its address, MAC and gateway from the
 * container config (lxc.net.0.ipv4.*); what the image then does with eth0 decides whether the VM
 * answers: Debian's `iface eth0 inet dhcp` runs a DHCP client on a bridge that has no DHCP server,
 * and ssh.service waits behind network.target for about 60 s; busybox's rcS runs udhcpc, which
 * wipes the static address. So the tool tells the image that eth0 is already configured, between
 * markers, keeping every other line of its files.
 *
 * Pure: `planGuestNet` turns what the rootfs holds into the files to write; `GUEST_FS` is the
 * node-side script that reads and writes inside a container's root filesystem (dir, overlayfs,
 * btrfs, LVM) without following any link the image holds.
 */

/** How an image configures its network, as told by what its root filesystem holds. */
export type GuestNetKind = 'ifupdown' | 'netplan' | 'networkd' | 'busybox' | 'none';

/** What the planner needs to know of a rootfs: files by path (relative, no leading /), dirs, binaries. */
export interface GuestFiles {
  files: Map<string, { content: string; mode: string }>;
  /** directory listings: path → names of the regular files in it */
  dirs: Map<string, string[]>;
  /** relative paths that exist (binaries) */
  present: Set<string>;
}

export interface GuestNetWant {
  iface: string;
  ip: string;
  prefix: number;
  gateway: string;
  dns: string[];
}

export interface GuestNetPlan {
  kind: GuestNetKind;
  /** the files to write (relative to the rootfs); empty when everything is in place */
  writes: { path: string; content: string; mode: string }[];
  /** what the image lacks for an operator to log in (no sshd): said before and after the run */
  lacks: string[];
}

/** What to read of a rootfs to plan (the `read` argument of GUEST_FS). */
export const GUEST_READS = [
  'etc/network/interfaces',
  'etc/init.d/rcS',
  'etc/netplan/',
  'etc/systemd/network/',
  '?usr/sbin/ifup',
  '?sbin/ifup',
  '?usr/sbin/netplan',
  '?lib/systemd/systemd-networkd',
  '?usr/lib/systemd/systemd-networkd',
  '?usr/sbin/sshd',
  '?sbin/sshd',
  '?usr/bin/dropbear',
  '?usr/sbin/dropbear',
] as const;

export const NETPLAN_FILE = 'etc/netplan/90-lxc-wizard.yaml';
export const NETWORKD_FILE = 'etc/systemd/network/05-lxc-wizard-eth0.network';

const START = (iface: string) => `#-- start lxc-wizard ${iface}:: DO NOT EDIT --`;
const END = (iface: string) => `#-- end lxc-wizard ${iface}:: DO NOT EDIT --`;
const OFF = '#lxc-wizard-off# ';

/** Which tool the image configures its network with (first match: ifupdown, netplan, networkd, busybox). */
export function guestNetKind(g: GuestFiles): GuestNetKind {
  const has = (p: string) => g.present.has(p);
  if (g.files.has('etc/network/interfaces') && (has('usr/sbin/ifup') || has('sbin/ifup'))) return 'ifupdown';
  if ((g.dirs.get('etc/netplan') ?? []).some((n) => /\.ya?ml$/.test(n)) && has('usr/sbin/netplan')) return 'netplan';
  if (has('lib/systemd/systemd-networkd') || has('usr/lib/systemd/systemd-networkd')) return 'networkd';
  if (g.files.has('etc/init.d/rcS')) return 'busybox';
  return 'none';
}

/**
 * ifupdown: every stanza that configures the interface (`iface eth0 inet|inet6 …` with its option
 * lines, `auto`/`allow-hotplug` lines naming only it) is switched off in place (prefixed, so the
 * operator sees what it was and removing the prefix gives it back), and a block between markers
 * says `iface eth0 inet manual`: ifup brings it up and leaves LXC's address alone.
 */
export function ifupdownInterfaces(text: string, iface: string): string {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const out: string[] = [];
  let inStanza = false;
  const s = lines.indexOf(START(iface));
  const e = s >= 0 ? lines.indexOf(END(iface), s) : -1;
  for (const [i, l] of lines.entries()) {
    if (s >= 0 && e >= 0 && i >= s && i <= e) continue; // our block, re-made below
    const t = l.trim();
    const words = t.split(/\s+/);
    const stanzaStart = /^(iface|mapping|auto|allow-[a-z-]+|source|source-directory|rename)$/.test(words[0] ?? '');
    if (stanzaStart) inStanza = false;
    if (words[0] === 'iface' && words[1] === iface) inStanza = true;
    const onlyOurs = (words[0] === 'auto' || words[0]?.startsWith('allow-')) && words.length === 2 && words[1] === iface;
    if ((inStanza || onlyOurs) && t !== '' && !t.startsWith('#')) out.push(OFF + l);
    else out.push(l);
  }
  const block = [
    START(iface),
    `# ${iface}'s address, gateway and MAC come from LXC (lxc.net.0.ipv4.*); no DHCP client waits on the bridge`,
    `auto ${iface}`,
    `iface ${iface} inet manual`,
    END(iface),
  ];
  while (out.length && out.at(-1) === '') out.pop();
  return [...out, ...(out.length ? [''] : []), ...block].join('\n') + '\n';
}

/** busybox: rcS's udhcpc lines are switched off (prefixed), the rest kept. */
export function busyboxRcS(text: string): string {
  return text
    .split('\n')
    .map((l) => (/^\s*[^#]*\budhcpc\b/.test(l) ? OFF + l : l))
    .join('\n');
}

export function netplanYaml(w: GuestNetWant): string {
  return [
    '# Made by lxc-wizard: the address LXC gives this container, with no DHCP client waiting on the bridge',
    'network:',
    '  version: 2',
    '  ethernets:',
    `    ${w.iface}:`,
    '      dhcp4: false',
    '      dhcp6: false',
    `      addresses: [${w.ip}/${w.prefix}]`,
    `      routes: [{to: default, via: ${w.gateway}}]`,
    `      nameservers: {addresses: [${w.dns.join(', ')}]}`,
    '',
  ].join('\n');
}

export function networkdUnit(w: GuestNetWant): string {
  return [
    '# Made by lxc-wizard: the address LXC gives this container, with no DHCP client waiting on the bridge',
    '[Match]',
    `Name=${w.iface}`,
    '',
    '[Network]',
    'DHCP=no',
    'LinkLocalAddressing=no',
    `Address=${w.ip}/${w.prefix}`,
    `Gateway=${w.gateway}`,
    ...w.dns.map((d) => `DNS=${d}`),
    '',
  ].join('\n');
}

/**
 * The files to write so that the image keeps the address LXC gives it, and what it lacks for a
 * login. Idempotent: planning again over the result writes nothing.
 */
export function planGuestNet(g: GuestFiles, w: GuestNetWant): GuestNetPlan {
  const kind = guestNetKind(g);
  const writes: GuestNetPlan['writes'] = [];
  const put = (path: string, content: string, mode = '0644') => {
    const cur = g.files.get(path);
    if (cur?.content !== content) writes.push({ path, content, mode: cur?.mode ?? mode });
  };
  if (kind === 'ifupdown') put('etc/network/interfaces', ifupdownInterfaces(g.files.get('etc/network/interfaces')!.content, w.iface));
  else if (kind === 'netplan') put(NETPLAN_FILE, netplanYaml(w), '0600');
  else if (kind === 'networkd') put(NETWORKD_FILE, networkdUnit(w));
  else if (kind === 'busybox') put('etc/init.d/rcS', busyboxRcS(g.files.get('etc/init.d/rcS')!.content));
  const sshd = ['usr/sbin/sshd', 'sbin/sshd', 'usr/bin/dropbear', 'usr/sbin/dropbear'].some((p) => g.present.has(p));
  return { kind, writes, lacks: sshd ? [] : ['no sshd in the image (no /usr/sbin/sshd or dropbear)'] };
}

/** What GUEST_FS `read` printed: `KIND path mode \1\1 body \2\2` frames (F file, D dir listing, E exists). */
export function parseGuestRead(stdout: string): GuestFiles {
  const g: GuestFiles = { files: new Map(), dirs: new Map(), present: new Set() };
  for (const chunk of stdout.split('\u0002\u0002')) {
    const i = chunk.indexOf('\u0001\u0001');
    if (i < 2) continue;
    const [kind, path, mode] = chunk.slice(0, i).replace(/^\n/, '').split(' ');
    const body = chunk.slice(i + 2);
    if (!path) continue;
    if (kind === 'F') g.files.set(path, { content: body, mode: mode ?? '0644' });
    else if (kind === 'D') g.dirs.set(path.replace(/\/$/, ''), body.split('\n').filter(Boolean));
    else if (kind === 'E') g.present.add(path);
  }
  return g;
}

/**
 * Reads or writes inside a container's root filesystem from its node, the container stopped:
 * `sh -c GUEST_FS sh read CONFIG PATH…` or `… write CONFIG PATH LEN MODE …` (contents on stdin,
 * one after the other). The rootfs is the config's lxc.rootfs.path (lxc.rootfs on LXC 1.x):
 * a directory (dir:, btrfs:, or a path), an overlay (read from its upper layer, else the lower;
 * written to the upper), or a block device (LVM: mounted on a temporary directory for the
 * command, then unmounted). A path any of whose parts is a link in the image is refused: an
 * image's links point inside it, and followed from the node they would reach the node's own files.
 */
export const GUEST_FS = `set -u
op=$1; conf=$2; shift 2
spec=$(sed -n 's/^[[:space:]]*lxc\\.rootfs\\(\\.path\\)\\{0,1\\}[[:space:]]*=[[:space:]]*//p' "$conf" | tail -n 1)
m=
case $spec in
  overlay:*|overlayfs:*) r=\${spec#*:}; lo=\${r%:*}; up=\${r##*:} ;;
  dir:*|btrfs:*) lo=\${spec#*:}; up=$lo ;;
  lvm:*|/dev/*)
    d=\${spec#lvm:}; m=$(mktemp -d /tmp/lxcw-rootfs.XXXXXX) || exit 1
    mount -- "$d" "$m" || { rmdir "$m"; echo "cannot mount $d to configure the guest" >&2; exit 1; }
    trap 'umount "$m"; rmdir "$m"' EXIT; lo=$m; up=$m ;;
  /*) lo=$spec; up=$spec ;;
  *) echo "lxc-wizard cannot open a root filesystem of this kind: $spec" >&2; exit 4 ;;
esac
# safe ROOT REL: no part of REL under ROOT is a link
# (its own variable names: sh has no local ones, and the callers loop over $p)
safe() { _s=$1; _r=$2; while :; do case $_r in */*) _s=$_s/\${_r%%/*}; _r=\${_r#*/} ;; *) _s=$_s/$_r; break ;; esac; [ -L "$_s" ] && return 1; done; [ ! -L "$_s" ]; }
# the layer that holds REL: the upper one, unless absent there (a whiteout is a character device)
layer() { if [ -e "$up/$1" ] || [ -L "$up/$1" ]; then [ -c "$up/$1" ] && return 1; L=$up; else L=$lo; fi; }
if [ "$op" = read ]; then
  for p in "$@"; do
    case $p in
      \\?*) p=\${p#?}; for r in "$up" "$lo"; do if [ -e "$r/$p" ]; then printf 'E %s -\\001\\001\\002\\002' "$p"; break; fi; done ;;
      */) layer "$p" || continue; safe "$L" "\${p%/}" || continue; [ -d "$L/$p" ] || continue
          printf 'D %s -\\001\\001' "$p"; for f in "$up/$p"* "$lo/$p"*; do [ -f "$f" ] && [ ! -L "$f" ] && printf '%s\\n' "\${f##*/}"; done; printf '\\002\\002' ;;
      *) layer "$p" || continue; safe "$L" "$p" || continue; [ -f "$L/$p" ] || continue
         printf 'F %s %s\\001\\001' "$p" "$(stat -c %a "$L/$p")"; cat -- "$L/$p"; printf '\\002\\002' ;;
    esac
  done
  exit 0
fi
umask 022
while [ $# -gt 0 ]; do
  p=$1; n=$2; mode=$3; shift 3
  safe "$up" "$p" || { echo "refused: a part of /$p is a link in the image" >&2; exit 5; }
  d=$up/$p; d=\${d%/*}; mkdir -p -- "$d"
  t="$d/.\${p##*/}.lxcw-tmp.$$"
  if [ $# -eq 0 ]; then cat > "$t"; elif [ "$n" -gt 0 ]; then dd bs="$n" count=1 iflag=fullblock status=none > "$t"; else : > "$t"; fi
  chmod "$mode" "$t"; mv -f -- "$t" "$up/$p"
done`;

export function guestReadArgv(configPath: string): string[] {
  return ['sh', '-c', GUEST_FS, 'sh', 'read', configPath, ...GUEST_READS];
}

export function guestWriteItem(configPath: string, writes: GuestNetPlan['writes']): { argv: string[]; stdin: string; stdinNote: string } {
  return {
    argv: [
      'sh',
      '-c',
      GUEST_FS,
      'sh',
      'write',
      configPath,
      ...writes.flatMap((w) => [w.path, String(Buffer.byteLength(w.content)), w.mode]),
    ],
    stdin: writes.map((w) => w.content).join(''),
    stdinNote: `${writes.reduce((n, w) => n + Buffer.byteLength(w.content), 0)} bytes for ${writes.map((w) => '/' + w.path).join(', ')}`,
  };
}
