import type { ParseArgsConfig } from 'node:util';
import type { Io, Output } from './output.js';

export interface CommandInput {
  args: string[];
  values: Record<string, string | boolean | undefined>;
  io: Io;
  out: Output;
}
export interface CommandModule {
  run(input: CommandInput): Promise<number>;
}

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
      'dry-run': { type: 'boolean' },
      update: { type: 'boolean' },
      backup: { type: 'boolean' },
    },
    help: `Usage: lxc-wizard add CN VM --pillar FILE [options]

Adds the entry of VM (a lower-case FQDN) under compute node CN, in the key form the file
already uses for CN (else makina-states.services.cloud.lxc.targets.CN). Every other byte of
the file is kept. Generated values (IP, MAC, password, ssh reverse-proxy port) are allocated
and kept in the state store, not in the pillar. Prints the unified diff on stdout.

Options:
  --profile-type T     lvm, lvm-scratch, dir, dir-scratch, overlayfs, overlayfs-scratch
  --size S             LVM size profile: xxxtrem … xxxsmall (written as profile: S)
  --mode M             mastersalt (default) or salt
  --ip IP              a free address in the node's network (default: allocated)
  --mac MAC            default: generated, 00:16:3e:xx:xx:xx
  --password-file F    read the password from F (default: 32 random characters, stored)
  --from-container C   origin container for clone types
  --image I            LXC template for scratch types
  --bootsalt-branch B  makina-states branch for the salt bootstrap
  --update             the VM exists: change the given keys, keep the others
  --backup             keep the previous file as FILE.bak
  --dry-run            print the diff only; write and allocate nothing
${COMMON_HELP}`,
    load: () => import('./add.js'),
  },
  settings: {
    usage: 'lxc-wizard settings CN VM --pillar FILE [--json] [--show-secrets]',
    summary: "show a VM's resolved settings (the seed's get_settings_for_vm)",
    args: ['CN', 'VM'],
    options: { ...PILLAR, json: { type: 'boolean' }, 'show-secrets': { type: 'boolean' } },
    help: `Usage: lxc-wizard settings CN VM --pillar FILE [--json] [--show-secrets]

Shows every setting of VM on compute node CN, each with where it came from (default,
pillar-default, entry, stored, derived, pending). ip, gateway and ssh_reverse_proxy_port are
live. Values nobody allocated yet are shown as pending; reading never allocates or writes.

Options:
  --json               one JSON document on stdout
  --show-secrets       show the password instead of <hidden>
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
    usage: 'lxc-wizard validate --pillar FILE [--json]',
    summary: 'check the pillar: names, IPs, MACs, types, sizes, modes; exit 1 on any error',
    args: [],
    options: { ...PILLAR, json: { type: 'boolean' } },
    help: `Usage: lxc-wizard validate --pillar FILE [--json]

Prints every finding as FILE:LINE: severity[code]: message, with a hint. Exit status 1 when
there is at least one error, 0 when there are only warnings or none.

Options:
  --json               one JSON document on stdout
${COMMON_HELP}`,
    load: () => import('./validate.js'),
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
