import { bootsaltArgs, bootScriptPath, MODES, type ResolvedDefaults } from './defaults.js';
import type { NodeDecl } from './model.js';
import { encodeId, profileName } from './naming.js';
import { PROFILE_TYPE_NAMES, PROFILE_TYPES, type ProfileTypeName } from './profile-types.js';
import { isControllerNode, withBranch, type SettingsContext, type VmSettings } from './settings.js';

/**
 * salt-cloud's own files for the fleet (the seed's post_deploy_controller, original-system.md §2.1–2.3
 * and §4.1): one lxc provider per compute node, the saltify provider, the 26 profiles per node, and a
 * map of every VM under its profile with its resolved settings, so that `salt-cloud -m MAP -P` can
 * run the same fleet through Salt itself. Pure: the caller writes them.
 *
 * The file names are the original's, so that on a controller it set up these replace its files
 * rather than define every provider twice.
 */
export const CLOUD_FILES = {
  lxcProviders: 'cloud.providers.d/makinastates_lxc.conf',
  saltifyProviders: 'cloud.providers.d/makinastates_saltify.conf',
  lxcProfiles: 'cloud.profiles.d/makinastates_lxc.conf',
  saltifyProfiles: 'cloud.profiles.d/makinastates_saltify.conf',
  map: 'cloud.maps.d/makinastates_lxc.map',
} as const;

/** The original's names for the saltify provider and profile (files/etc/salt/cloud.*.d/makinastates_saltify.conf). */
export const SALTIFY_PROVIDER = 'makinastates_salty';
export const SALTIFY_PROFILE = 'ms-salt-minion';

export interface CloudFile {
  /** path under the configuration prefix (--out) */
  rel: string;
  data: Record<string, unknown>;
  /** holds passwords (--show-secrets): written 0600 */
  secret: boolean;
}

export interface CloudNote {
  message: string;
  hint?: string;
}

export interface CloudInput {
  nodes: NodeDecl[];
  /** every VM's settings, stored values included, pending ones marked so */
  vms: VmSettings[];
  rd: ResolvedDefaults;
  ctx: SettingsContext;
  showSecrets: boolean;
}

export function lxcProviderName(node: string): string {
  return `${encodeId(node)}-lxc`;
}

/** The salt master a node's VMs attach to: the bridge gateway on the controller itself (mc_cloud_lxc L279-292). */
function minionOf(node: string, rd: ResolvedDefaults, ctx: SettingsContext): { master: string; master_port: number } {
  const d = rd.defaults;
  const master = isControllerNode(node, ctx.controller) ? d.gateway : (d.master ?? ctx.controller);
  return { master, master_port: d.master_port ?? MODES[d.mode].port };
}

/** The 26 profiles of one node (2 per size + 4), in the original's order. */
export function nodeProfiles(node: string, rd: ResolvedDefaults, ctx: SettingsContext): Record<string, Record<string, unknown>> {
  const d = rd.defaults;
  const shared = {
    provider: lxcProviderName(node),
    sudo: d.sudo,
    ssh_gateway: d.ssh_gateway ?? node,
    ssh_gateway_user: d.ssh_gateway_user,
    ssh_gateway_port: d.ssh_gateway_port,
    script: bootScriptPath(d.mode),
    script_args: withBranch(d.script_args ?? bootsaltArgs(d, d.mode), d.bootsalt_branch),
    minion: minionOf(node, rd, ctx),
  };
  const perType = (t: ProfileTypeName, size?: string): Record<string, unknown> => {
    const info = PROFILE_TYPES[t];
    return {
      ...shared,
      ...(info.install === 'clone' ? { from_container: d.from_container } : { image: d.image }),
      backing: info.backing,
      ...(info.sized ? { size, vgname: d.vgname } : {}),
      ...(t === 'overlayfs' ? { snapshot: true } : {}),
    };
  };
  const out: Record<string, Record<string, unknown>> = {};
  for (const [sizeName, size] of Object.entries(d.sizes)) {
    for (const t of PROFILE_TYPE_NAMES.filter((n) => PROFILE_TYPES[n].sized)) out[profileName(node, t, sizeName)] = perType(t, size);
  }
  for (const t of PROFILE_TYPE_NAMES.filter((n) => !PROFILE_TYPES[n].sized)) out[profileName(node, t, d.size)] = perType(t);
  return out;
}

// What salt-cloud's lxc driver takes per VM, in the order written (the map's overrides of the profile).
const MAP_KEYS = [
  'ip',
  'mac',
  'netmask',
  'bridge',
  'gateway',
  'dnsservers',
  'ssh_gateway',
  'ssh_gateway_user',
  'ssh_gateway_port',
  'ssh_gateway_key',
  'ssh_username',
  'users',
  'sudo',
  'autostart',
  'script',
  'script_args',
  'from_container',
  'image',
  'backing',
  'size',
  'vgname',
  'snapshot',
  'lxc_conf',
  'lxc_conf_unset',
] as const;
const SECRET_MAP_KEYS = ['password', 'ssh_gateway_password'] as const;
const ALLOCATED = ['ip', 'mac', 'password'] as const;

/** One VM's entry in the map: what its settings say, except what nobody allocated yet. */
function mapEntry(s: VmSettings, showSecrets: boolean): Record<string, unknown> {
  const f = s.fields;
  const out: Record<string, unknown> = {};
  const keys = showSecrets ? [...MAP_KEYS, ...SECRET_MAP_KEYS] : MAP_KEYS;
  for (const key of keys) {
    const field = f[key];
    if (!field || field.source === 'pending' || field.value === null || field.value === undefined) continue;
    if (key === 'image' && s.type.install === 'clone') continue;
    out[key] = field.value;
  }
  out.minion = { master: f.master!.value, master_port: f.master_port!.value };
  return out;
}

function saltifyEntry(node: NodeDecl, showSecrets: boolean): Record<string, unknown> {
  const k = node.saltifyTarget?.keys ?? {};
  const str = (key: string) => (typeof k[key] === 'string' || typeof k[key] === 'number' ? k[key] : undefined);
  return {
    ssh_host: str('ssh_host') ?? node.name,
    ssh_username: str('ssh_username') ?? 'root',
    ...(str('ssh_port') !== undefined ? { ssh_port: str('ssh_port') } : {}),
    ...(str('ssh_keyfile') !== undefined ? { key_filename: str('ssh_keyfile') } : {}),
    ...(showSecrets && str('password') !== undefined ? { password: str('password') } : {}),
  };
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Every file, deterministic (sorted nodes, sorted VMs), and what the operator should know about them. */
export function cloudFiles(input: CloudInput): { files: CloudFile[]; notes: CloudNote[] } {
  const { rd, ctx } = input;
  const nodes = [...input.nodes].sort(byName);
  const notes: CloudNote[] = [];

  const providers: Record<string, unknown> = {};
  // `provider` is what the salt-cloud of 2014 reads, `driver` what Salt reads since 2015.8: both, so either finds it.
  for (const n of nodes) providers[lxcProviderName(n.name)] = { target: n.name, provider: 'lxc', driver: 'lxc' };
  const profiles: Record<string, unknown> = {};
  for (const n of nodes) Object.assign(profiles, nodeProfiles(n.name, rd, ctx));

  const written = new Set(Object.keys(profiles));
  const groups = new Map<string, Record<string, unknown>[]>();
  for (const s of [...input.vms].sort(byName)) {
    const profile = String(s.fields.profile!.value);
    if (!written.has(profile))
      notes.push({
        message: `${s.name} uses the profile '${profile}', which is not one of the generated ones; salt-cloud needs it defined in another file`,
        hint: 'define it under cloud.profiles.d, or give the VM a size name as profile',
      });
    const missing = ALLOCATED.filter((k) => s.fields[k]?.source === 'pending' && (k !== 'password' || input.showSecrets));
    if (missing.length)
      notes.push({
        message: `${s.name} is in the map without ${missing.join(', ')}: not allocated yet`,
        hint: 'the first provisioning run allocates them (lxc-wizard --yes --pillar FILE --vm NAME); then run controller setup again',
      });
    const list = groups.get(profile) ?? [];
    list.push({ [s.name]: mapEntry(s, input.showSecrets) });
    groups.set(profile, list);
  }
  const map: Record<string, unknown> = {};
  for (const p of [...groups.keys()].sort()) map[p] = groups.get(p);
  const targets = nodes.filter((n) => n.saltify);
  if (targets.length) map[SALTIFY_PROFILE] = targets.map((n) => ({ [n.name]: saltifyEntry(n, input.showSecrets) }));
  if (!input.showSecrets && (input.vms.length || targets.some((t) => t.saltifyTarget?.keys.password !== undefined)))
    notes.push({
      message: 'the map holds no password (salt-cloud would set its own)',
      hint: 'with --show-secrets it holds the stored ones, and the map is written 0600',
    });

  const d = rd.defaults;
  const files: CloudFile[] = [
    { rel: CLOUD_FILES.lxcProviders, data: providers, secret: false },
    { rel: CLOUD_FILES.saltifyProviders, data: { [SALTIFY_PROVIDER]: { provider: 'saltify', driver: 'saltify' } }, secret: false },
    { rel: CLOUD_FILES.lxcProfiles, data: profiles, secret: false },
    {
      rel: CLOUD_FILES.saltifyProfiles,
      data: {
        [SALTIFY_PROFILE]: {
          provider: SALTIFY_PROVIDER,
          sudo: d.sudo,
          script: bootScriptPath(d.mode),
          minion: { master: d.master ?? ctx.controller, master_port: d.master_port ?? MODES[d.mode].port },
        },
      },
      secret: false,
    },
    { rel: CLOUD_FILES.map, data: map, secret: input.showSecrets },
  ];
  return { files, notes };
}
