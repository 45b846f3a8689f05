import type { ParseArgsConfig } from 'node:util';
import type { CommandModule } from './types.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export const GLOBAL_OPTIONS: Options = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
  'no-color': { type: 'boolean' },
};

const PILLAR: Options = {
  pillar: { type: 'string' },
  'state-dir': { type: 'string' },
  env: { type: 'string' },
  controller: { type: 'string' },
};

interface CommandSpec {
  usage: string;
  summary: string;
  args: string[];
  /** further positional arguments, any number (their name in help) */
  variadic?: string;
  options: Options;
  help: string;
  load: () => Promise<CommandModule>;
}

const COMMON_HELP = `
Pillar and context:
  --pillar FILE        the pillar file (default: $LXC_WIZARD_PILLAR)
  --state-dir DIR      where generated values are kept (default: cloud-controller/ beside the pillar)
  --env prod|dev       prod: lvm backing, branch stable; dev: overlayfs snapshots, branch master
                       (default: $LXC_WIZARD_ENV, else prod)
  --controller FQDN    the controller the VMs attach to as salt master (default: this host's name)
  --no-color           no colour (also NO_COLOR=1 or TERM=dumb)
  -h, --help           this help
`;

const ENGINE: Options = {
  'ssh-config': { type: 'string' },
  'host-key-policy': { type: 'string' },
};

const ENGINE_HELP = `
Reaching compute nodes:
  --ssh-config FILE    OpenSSH client config (default ~/.ssh/config): Host, HostName, Port, User,
                       IdentityFile, UserKnownHostsFile, StrictHostKeyChecking. Default user root.
                       The node 'localhost' is run locally, without SSH.
  --host-key-policy P  strict (default): unknown or changed host keys are refused;
                       accept-new: trust a key on first use (kept in ~/.local/state/lxc-wizard/known_hosts);
                       off: no check at all (says so loudly). A changed key is always refused.
`;

export const COMMANDS = {
  add: {
    usage: 'lxc-wizard add CN VM --pillar FILE [options]',
    summary: 'add a VM entry to the pillar (validated, then written atomically) and print the diff',
    args: ['CN', 'VM'],
    options: {
      ...PILLAR,
      'profile-type': { type: 'string' },
      size: { type: 'string' },
      mode: { type: 'string' },
      ip: { type: 'string' },
      mac: { type: 'string' },
      'password-file': { type: 'string' },
      'from-container': { type: 'string' },
      image: { type: 'string' },
      'bootsalt-branch': { type: 'string' },
      snapshot: { type: 'string' },
      autostart: { type: 'string' },
      'dry-run': { type: 'boolean' },
      update: { type: 'boolean' },
      backup: { type: 'boolean' },
      'force-pillar': { type: 'boolean' },
    },
    help: `Usage: lxc-wizard add CN VM --pillar FILE [options]

Adds the entry of VM (a lower-case FQDN) under compute node CN, in the key form the file
already uses (for a node it does not mention yet: makina-states.cloud.lxc.vms.CN in a file
that uses that form, the seed's makina-states.services.cloud.lxc.targets.CN otherwise). Every
other byte of the file is kept. Generated values (IP, MAC, password, ssh reverse-proxy port)
are allocated and kept in the state store, not in the pillar. Prints the unified diff on
stdout, every password masked.

Options:
  --profile-type T     lvm, lvm-scratch, dir, dir-scratch, overlayfs, overlayfs-scratch
  --size S             LVM size profile: xxxtrem … xxxsmall (written as profile: S)
  --mode M             mastersalt (default) or salt
  --ip IP              a free address in the node's network (default: allocated)
  --mac MAC            default: generated, 00:16:3e:xx:xx:xx
  --password-file F    the password: F holds it on one line (default: 32 random characters, stored)
  --from-container C   origin container for clone types
  --image I            LXC template for scratch types
  --bootsalt-branch B  makina-states branch for the salt bootstrap
  --snapshot yes|no    clone as a snapshot (overlayfs, LVM clones)
  --autostart yes|no   start the container with its node (default yes)
  --update             the VM exists: change the given keys, keep the others
  --backup             keep the previous file as FILE.bak
  --dry-run            print the diff only; write and allocate nothing (takes no lock)
  --force-pillar       edit FILE even though it holds no makina-states key
${COMMON_HELP}`,
    load: () => import('./add.js'),
  },
  settings: {
    usage: 'lxc-wizard settings CN VM --pillar FILE [--json] [--show-secrets]',
    summary: "show a VM's resolved settings (the seed's get_settings_for_vm)",
    args: ['CN', 'VM'],
    options: { ...PILLAR, 'ssh-config': { type: 'string' }, json: { type: 'boolean' }, 'show-secrets': { type: 'boolean' } },
    help: `Usage: lxc-wizard settings CN VM --pillar FILE [--json] [--show-secrets]

Shows every setting of VM on compute node CN, each with where it came from (default,
pillar-default, entry, stored, derived, pending). ip, gateway and ssh_reverse_proxy_port are
what the seed calls live: re-applied at every run. Values nobody allocated yet are shown as
pending; reading never allocates or writes. Nothing is read from the node: the ways in are
those the last run left (a run ends by checking them from the node: its reachable step).

Options:
  --json               one JSON document on stdout
  --show-secrets       show the password instead of <hidden>
  --ssh-config FILE    the OpenSSH client config runs follow: the ways in printed follow it too
${COMMON_HELP}`,
    load: () => import('./settings.js'),
  },
  list: {
    usage: 'lxc-wizard list --pillar FILE [--json]',
    summary: 'list compute nodes and their VMs with profile name and IP',
    args: [],
    options: { ...PILLAR, json: { type: 'boolean' } },
    help: `Usage: lxc-wizard list --pillar FILE [--json]

Lists the compute nodes (from the VM keys and makina-states.cloud.saltify.targets) and their
VMs with profile name and IP (pending when not allocated yet).

Options:
  --json               one JSON document on stdout
${COMMON_HELP}`,
    load: () => import('./list.js'),
  },
  validate: {
    usage: 'lxc-wizard validate --pillar FILE [OTHER.sls...] [--json]',
    variadic: 'OTHER.sls',
    summary: 'check the pillar: names, IPs, MACs, types, sizes, modes; exit 1 on any error',
    args: [],
    options: { ...PILLAR, json: { type: 'boolean' }, 'cloud-dir': { type: 'string' } },
    help: `Usage: lxc-wizard validate --pillar FILE [OTHER.sls...] [--json] [--cloud-dir DIR]

Prints every finding as FILE:LINE: severity[code]: message, with a hint. Exit status 1 when
there is at least one error, 0 when there are only warnings or notes.

Notes (severity info) list values the store beside FILE holds for VMs that FILE does not have
(with the forget command that releases them). Pillars beside it share that store: name them
after FILE, and the values their VMs use are not reported.

A profile: that is not a size name is a salt-cloud profile name: it is reported unknown unless
it is one lxc-wizard generates or one defined in DIR/cloud.profiles.d/*.conf.

Options:
  --json               one JSON document on stdout
  --cloud-dir DIR      where salt-cloud's files are (default by mode: /etc/mastersalt, /etc/salt)
${COMMON_HELP}`,
    load: () => import('./validate.js'),
  },
  provision: {
    usage: 'lxc-wizard --yes --pillar FILE [options]',
    summary: 'provision what the pillar describes (also: lxc-wizard --yes --pillar FILE)',
    args: [],
    options: {
      ...PILLAR,
      ...ENGINE,
      yes: { type: 'boolean', short: 'y' },
      node: { type: 'string' },
      vm: { type: 'string', multiple: true },
      only: { type: 'string' },
      from: { type: 'string' },
      'dry-run': { type: 'boolean' },
      concurrency: { type: 'string' },
      json: { type: 'boolean' },
      'bootsalt-script': { type: 'string' },
      'no-salt': { type: 'boolean' },
      'ssh-pubkey': { type: 'string', multiple: true },
      'log-file': { type: 'string' },
      'setup-nodes': { type: 'boolean' },
      'master-pki': { type: 'string' },
      'origin-template': { type: 'string' },
      'origin-release': { type: 'string' },
      adopt: { type: 'boolean' },
      plain: { type: 'boolean' },
    },
    help: `Usage: lxc-wizard --yes --pillar FILE [options]

Runs, for every VM of the pillar (or those selected), preflight, then the seed's six steps
(spawn, hostsfile, sshkeys, grains, initial_setup, initial_highstate) with the ssh forward
(reverse_proxy) right after spawn, the minion's ping, and last the wait for the VM's sshd on
its IP and its forward (reachable). VMs run in parallel; the first
failing step stops that VM, the others go on. Each step checks first: what is in place is
reported "already done", so a re-run resumes where a run failed. A VM is "ready" only when every
step ran or was in place, ssh answering included; a skipped step is named with what it leaves
undone. A container of a VM's name that lxc-wizard did not make is refused (--adopt takes it over). Progress goes to
stderr, the result to stdout; every remote command is logged (secrets redacted) and the log path
is printed on failure. Exit 1 if a VM failed, 130 if interrupted (Ctrl-C cancels the running
commands on the nodes).

Options:
  -y, --yes            required: provisioning changes compute nodes
  --node CN            only the VMs of this compute node
  --vm NAME            only this VM (repeatable)
  --only STEPS         only these steps, comma-separated (preflight always runs)
  --from STEP          start at this step
  --dry-run            print the exact commands per VM and step; change nothing (reads the nodes)
  --concurrency N      VMs at once per compute node (default 4)
  --json               one JSON document on stdout: each VM, each step's state, duration, error
  --bootsalt-script F  the salt bootstrap script to upload (makina-states _scripts/boot-salt.sh)
  --no-salt            skip the salt bootstrap and the initial highstate
  --ssh-pubkey FILE    public key for root in the VMs (repeatable; default ~/.ssh/*.pub)
  --log-file FILE      default ~/.local/state/lxc-wizard/logs/<time>.log
  --setup-nodes        run node setup on their compute nodes first (see lxc-wizard node --help)
  --master-pki DIR     the salt master's pki directory for the minion keys (default by mode:
                       /etc/mastersalt/pki/master or /etc/salt/pki/master)
  --origin-template T, --origin-release R
                       with --setup-nodes: create a missing origin from this LXC template
  --adopt              take over containers of these VMs' names that lxc-wizard did not make
                       (their network config is rewritten and they are restarted)
  --plain              progress as lines even on a terminal (each line names its VM)

On a terminal, progress is a live tree (node → VM → step; a finished VM folds to one line, a
failed one stays open with its error and hint). Not on a terminal, with CI set, TERM=dumb or
--plain: one line per step event, each starting with the VM's name, no escape codes.
${ENGINE_HELP}${COMMON_HELP}`,
    load: () => import('./provision.js'),
  },
  destroy: {
    usage: 'lxc-wizard destroy VM --pillar FILE [--node CN] [--forget] [--yes]',
    summary: "stop and destroy a VM's container, remove its hosts entry and minion key (--forget: its entry and values)",
    args: ['VM'],
    options: {
      ...PILLAR,
      ...ENGINE,
      yes: { type: 'boolean', short: 'y' },
      node: { type: 'string' },
      forget: { type: 'boolean' },
      backup: { type: 'boolean' },
      'master-pki': { type: 'string' },
    },
    help: `Usage: lxc-wizard destroy VM --pillar FILE [--node CN] [--forget] [--yes]

The seed's salt-cloud -d: stops and destroys the container on its compute node, removes its
block from the node's /etc/hosts, and removes its minion key from this controller's salt and
mastersalt masters when present. Its IP, MAC, password and ssh port stay allocated: the entry is
still in the pillar, and provisioning it again gives it the same ones. Asks before acting unless
--yes (and refuses to ask without a terminal).

Options:
  --node CN            the compute node (default: the VM's node in the pillar)
  --forget             also remove the VM's entry from the pillar (the diff is printed) and
                       release its IP, MAC, password and ssh port
  --backup             with --forget: keep the previous pillar as FILE.bak
  --master-pki DIR     the salt master's pki directory whose minion key for VM goes too (default:
                       both /etc/mastersalt/pki/master and /etc/salt/pki/master when present)
  -y, --yes            do not ask
${ENGINE_HELP}${COMMON_HELP}`,
    load: () => import('./destroy.js'),
  },
  node: {
    usage: 'lxc-wizard node setup CN --pillar FILE --yes [options]',
    summary: 'prepare a compute node: LXC, the bridge, forwarding and NAT, origin containers, registry, keys',
    args: ['ACTION', 'CN'],
    options: {
      ...PILLAR,
      ...ENGINE,
      yes: { type: 'boolean', short: 'y' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
      'ssh-pubkey': { type: 'string', multiple: true },
      'origin-template': { type: 'string' },
      'origin-release': { type: 'string' },
      'log-file': { type: 'string' },
      plain: { type: 'boolean' },
    },
    help: `Usage: lxc-wizard node setup CN --pillar FILE --yes [options]

The seed's install_vt: makes compute node CN ready for the VMs the pillar puts on it. Each part
checks first, and what is in place is reported "already done":
  node_sshkeys  the controller's public keys in the login user's ~/.ssh/authorized_keys (a node
                that takes only a password, the saltify target's, gets the key installed)
  lxc           LXC, its templates, rsync, tar, nftables (apt-get, on Debian and Ubuntu)
  bridge        the bridge of the node's settings with its gateway address, kept across reboots
                by lxc-wizard-net.service (/usr/local/sbin/lxc-wizard-net, /etc/lxc-wizard)
  forwarding    IPv4 forwarding, now and at boot (/etc/sysctl.d/60-lxc-wizard.conf)
  masquerade    the container network masqueraded to the outside, in nftables table ip
                lxc_wizard (lxc-wizard's own: no other rule is touched)
  registry      makina-states.cloud.is.lxchost, .is.compute_node, .services.virt.lxc
  origin        every origin the node's clone entries need, stopped: copied from the
                controller when it has one of that name, else made from --origin-template.
                A running origin is refused, never stopped.

Options:
  -y, --yes            required: node setup changes the compute node
  --dry-run            print the exact commands; change nothing (reads the node)
  --json               one JSON document on stdout
  --ssh-pubkey FILE    public key to install (repeatable; default ~/.ssh/*.pub)
  --origin-template T  LXC template for a missing origin (debian, ubuntu)
  --origin-release R   its release (bookworm, jammy…)
  --log-file FILE      default ~/.local/state/lxc-wizard/logs/<time>.log
  --plain              progress as lines even on a terminal
${ENGINE_HELP}${COMMON_HELP}`,
    load: () => import('./node.js'),
  },
  controller: {
    usage: 'lxc-wizard controller setup --pillar FILE [--out DIR] [--dry-run] [--show-secrets]',
    summary: "write salt-cloud's providers, profiles and map for the pillar's fleet",
    args: ['ACTION'],
    options: {
      ...PILLAR,
      out: { type: 'string' },
      'dry-run': { type: 'boolean' },
      'show-secrets': { type: 'boolean' },
      json: { type: 'boolean' },
    },
    help: `Usage: lxc-wizard controller setup --pillar FILE [--out DIR] [--dry-run] [--show-secrets]

The seed's post_deploy_controller: writes salt-cloud's own files for every compute node and VM
of the pillar, under DIR (default by the pillar's mode: /etc/mastersalt, or /etc/salt):
  cloud.providers.d/makinastates_lxc.conf      one lxc provider per compute node (<node>-lxc)
  cloud.providers.d/makinastates_saltify.conf  the saltify provider (makinastates_salty)
  cloud.profiles.d/makinastates_lxc.conf       the 26 profiles of each node (ms-<node>-…)
  cloud.profiles.d/makinastates_saltify.conf   the saltify profile (ms-salt-minion)
  cloud.maps.d/makinastates_lxc.map            every VM under its profile with its settings,
                                               and the saltify targets: salt-cloud -m MAP -P
Output is deterministic; a file is written only when it changes (atomically, its mode kept),
and the unified diff is printed. A file lxc-wizard did not write is kept as FILE.bak. Values not
allocated yet are left out of the map (said so). A pillar with errors is refused.

Options:
  --out DIR            the configuration prefix to write under
  --dry-run            print the diff only; write nothing
  --show-secrets       put the stored passwords in the map (then written 0600)
  --json               one JSON document on stdout (files and their state, notes)
${COMMON_HELP}`,
    load: () => import('./controller.js'),
  },
  forget: {
    usage: 'lxc-wizard forget CN VM --pillar FILE [--yes] [--force]',
    summary: 'release stored values (IP, MAC, password, ssh port) that no entry uses any more',
    args: ['CN', 'VM'],
    options: { ...PILLAR, yes: { type: 'boolean', short: 'y' }, force: { type: 'boolean' } },
    help: `Usage: lxc-wizard forget CN VM --pillar FILE [--yes] [--force]

Generated values stay in the store until an explicit act releases them: a VM whose entry was
removed by hand, or moved to another pillar, keeps its IP, MAC, password and ssh port so that a
running container never sees them handed to another VM. forget releases what VM on CN holds
that nothing uses: everything when VM has no entry in FILE, otherwise only the values its entry
overrides (an explicit ip: leaves the stored one unused). It says what it releases, and asks
first unless --yes. lxc-wizard validate lists such values. Pillars in one directory share the
store: when the pillar that allocated the values still lists VM, forget refuses (it would take
that entry's only password and give its IP and port to the next VM) and names the file.

Options:
  -y, --yes            do not ask
  --force              release them even though the pillar that allocated them still lists VM
${COMMON_HELP}`,
    load: () => import('./forget.js'),
  },
  wizard: {
    usage: 'lxc-wizard [--pillar FILE] [--plain]',
    summary: 'the interactive wizard (what lxc-wizard with no command runs on a terminal)',
    args: [],
    options: {
      ...PILLAR,
      ...ENGINE,
      plain: { type: 'boolean' },
      'bootsalt-script': { type: 'string' },
      'no-salt': { type: 'boolean' },
      'ssh-pubkey': { type: 'string', multiple: true },
      'master-pki': { type: 'string' },
      'origin-template': { type: 'string' },
      'origin-release': { type: 'string' },
    },
    help: `Usage: lxc-wizard [--pillar FILE] [--plain]

On a terminal: pick a compute node, name the container, choose backing, install mode, size and
salt mode, review the settings and the exact pillar diff, then write the entry and run the steps
with live progress. Esc goes back one screen; nothing is written before the review is accepted.
Not on a terminal, or with CI set: exits 2 (use --yes --pillar FILE).

Options:
  --plain              line prompts instead of the full-screen UI (serial consoles, screen readers)
  --bootsalt-script F  the salt bootstrap script for the run (see lxc-wizard provision --help)
  --master-pki DIR     the salt master's pki directory for the minion keys
  --no-salt            run without the salt bootstrap and initial highstate
  --ssh-pubkey FILE    public key for root in the VM (default ~/.ssh/*.pub)
  --origin-template T, --origin-release R
                       when the wizard prepares a node: make a missing origin from this template

A node that is not ready (no LXC, no bridge, no origin for the clone picked) is offered node
setup ("prepare this node now", lxc-wizard node --help), run with the live step view.
${ENGINE_HELP}${COMMON_HELP}`,
    load: () => import('./wizard.js'),
  },
} satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

export function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}`);
  return `lxc-wizard: provision LXC containers on compute nodes, the makina-states way

Usage: lxc-wizard COMMAND [options]

Commands:
${lines.join('\n')}

Global options:
  -h, --help           help (also \`lxc-wizard COMMAND --help\`)
  -V, --version        print the version
  --no-color           no colour (also NO_COLOR=1 or TERM=dumb)

Exit status: 0 ok, 1 failure (validation errors, refused write), 2 usage or missing input,
130 interrupted.
`;
}

export function commandHelp(name: CommandName): string {
  return COMMANDS[name].help;
}
