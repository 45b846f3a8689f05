import { bootScriptPath, MODES, type Mode } from '../core/defaults.js';
import { fieldProblem } from '../core/fields.js';
import { fqdnProblem, hostnameProblem } from '../core/naming.js';
import { PROFILE_TYPE_NAMES, profileTypeInfo, type Backing, type InstallMode, type ProfileTypeName } from '../core/profile-types.js';
import type { Advanced, Choice, FlowContext, ModeChoice, NodeChoice, NodeProbe } from './types.js';

/**
 * What each question offers, and the checks of what is typed. The checks are core's field checks:
 * the wizard accepts exactly what validation accepts later.
 */

export function nodeNameProblem(name: string): string | undefined {
  const p = hostnameProblem(name);
  return p ? `node id ${p}` : undefined;
}

/** As typed: FQDN rules; an existing name is not an error but a choice (edit, re-run, other). */
export function nameProblem(name: string): string | undefined {
  if (!name) return 'type the container name, a fully qualified domain name';
  const p = fqdnProblem(name);
  return p ? `the name ${p}` : undefined;
}

export function imageProblem(image: string, probe?: NodeProbe): string | undefined {
  const p = fieldProblem('image', image);
  if (p) return `the template name ${p}`;
  // checked against the node's templates once its probe has listed them (a path is the operator's)
  const there = probe?.state === 'ok' ? probe.templates : undefined;
  if (there && !image.includes('/') && !there.includes(image))
    return there.length
      ? `the node has no template ${image}: it has ${there.join(', ')}`
      : `the node has no LXC templates (install lxc-templates there; node setup does)`;
  return undefined;
}

const ADVANCED_KEYS: [keyof Advanced, string, string][] = [
  ['ip', 'ip', 'IP'],
  ['mac', 'mac', 'MAC'],
  ['password', 'password', 'the password'],
  ['branch', 'bootsalt_branch', 'the branch'],
];

/** The first problem of the advanced values, each checked by the rule validate applies to the pillar. */
export function advancedProblem(a: Advanced): string | undefined {
  for (const [field, key, label] of ADVANCED_KEYS) {
    const v = a[field];
    if (v === undefined || v === '') continue;
    const p = fieldProblem(key, v);
    if (p) return `${label} ${field === 'password' ? p : `${String(v)} ${p}`}`;
  }
  return undefined;
}

export function nodeChoices(nodes: NodeChoice[]): Choice[] {
  return nodes.map((n) => ({ value: n.name, label: `${n.name}  (${n.vmCount} VM${n.vmCount === 1 ? '' : 's'})` }));
}

export function backingChoices(probe: NodeProbe | undefined): Choice<Backing>[] {
  const vgs = probe?.state === 'ok' && probe.lxcVersion ? probe.volumeGroups : undefined;
  return [
    {
      value: 'lvm',
      label: 'lvm        a logical volume each (prod default)',
      ...(vgs && vgs.length === 0 ? { disabled: 'no LVM volume group on this node' } : {}),
    },
    { value: 'dir', label: 'dir        a plain directory' },
    { value: 'overlayfs', label: 'overlayfs  copy-on-write over an origin (dev default)' },
  ];
}

export function installChoices(probe: NodeProbe | undefined, backing: Backing | undefined): Choice<InstallMode>[] {
  const none = probe?.state === 'ok' && probe.stopped.length === 0;
  return [
    {
      value: 'clone',
      label: `clone an origin container${backing === 'overlayfs' ? ' (snapshot)' : ''}${none ? '  (none on the node yet: node setup makes one)' : ''}`,
    },
    { value: 'create', label: 'create from a template image' },
  ];
}

/** The node's stopped containers, the default origin first; the default alone when there are none. */
export function originChoices(probe: NodeProbe | undefined, fallback: string): Choice[] {
  const stopped = probe?.state === 'ok' ? probe.stopped : [];
  const vms = new Set(probe?.state === 'ok' ? (probe.vms ?? []) : []);
  const names = stopped.includes(fallback) || !stopped.length ? [fallback, ...stopped.filter((s) => s !== fallback)] : [...stopped];
  // the usable origins first; VMs the tool made last, saying why they may not fit
  const rank = (o: string) => (o === fallback ? 0 : vms.has(o) ? 2 : 1);
  return names
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .map((o) => ({
      value: o,
      label:
        stopped.includes(o) || probe?.state !== 'ok'
          ? vms.has(o)
            ? `${o}  (a VM: its clones copy its keys and files)`
            : o
          : `${o}  (not on the node yet)`,
    }));
}

/** The size table as the pillar leaves it (lxc_cloud_profiles may change or add sizes). */
export function sizeChoices(sizes: Record<string, string>, dflt: string): Choice[] {
  return Object.keys(sizes).map((s) => ({ value: s, label: `${s.padEnd(9)} ${sizes[s]}${s === dflt ? '  (default)' : ''}` }));
}

/** Both salt modes, each disabled when this controller has no bootstrap for it; and "no salt". */
export function modeChoices(ctx: FlowContext): Choice<ModeChoice>[] {
  return [
    ...(Object.keys(MODES) as Mode[]).map((m) => ({
      value: m,
      label: `${m.padEnd(10)} ${MODES[m].summary}`,
      ...(ctx.bootstrap(m) ? {} : { disabled: 'no boot-salt.sh for it on this controller' }),
    })),
    { value: 'none' as const, label: 'no salt    provision without the salt bootstrap and highstate' },
  ];
}

/** What the salt-mode screen says when neither mode has a bootstrap script here. */
export function noBootstrapNote(): string {
  return `no salt bootstrap here (${bootScriptPath('mastersalt')}, ${bootScriptPath('salt')}): provision without salt, or start again with --bootsalt-script`;
}

/** The preselected choice: the usual default if it can be picked, else the first that can. */
export function preselect<T extends string>(choices: Choice<T>[], preferred: T | undefined): T | undefined {
  const ok = choices.filter((c) => !c.disabled);
  return (ok.find((c) => c.value === preferred) ?? ok[0])?.value;
}

/** Lists longer than this narrow as the operator types (the size table, 11 rows, shows whole). */
export const FILTER_AT = 12;

/** The choices whose value or label contains every typed word (case-insensitive). */
export function filterChoices<T extends string>(choices: Choice<T>[], typed: string): Choice<T>[] {
  const words = typed.toLowerCase().split(/\s+/).filter(Boolean);
  if (!words.length) return choices;
  return choices.filter((c) => words.every((w) => c.value.toLowerCase().includes(w) || c.label.toLowerCase().includes(w)));
}

/**
 * Whether a resolved setting applies to the choices made, on the review of both front ends: the
 * origin to a clone, the template to a create, the size to LVM, the master and branch to salt.
 */
export function settingApplies(key: string, profileType: unknown, noSalt: boolean): boolean {
  const type =
    typeof profileType === 'string' && (PROFILE_TYPE_NAMES as string[]).includes(profileType)
      ? profileTypeInfo(profileType as ProfileTypeName)
      : undefined;
  if (key === 'from_container') return type?.install !== 'create';
  if (key === 'image') return type?.install === 'create';
  if (key === 'size' || key === 'vgname') return type?.sized !== false;
  if (key === 'master' || key === 'master_port' || key === 'bootsalt_branch' || key === 'script_args') return !noSalt;
  return true;
}

/** A setting's value on the review: one nobody allocated yet says when it will be. */
export function reviewValue(v: unknown): string {
  if (v === null || v === undefined) return '(allocated when the entry is written)';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** The template the image question starts from: the default when the node has it, else one it has. */
export function initialImage(fallback: string, probe?: NodeProbe): string {
  const there = probe?.state === 'ok' ? probe.templates : undefined;
  if (!there?.length || there.includes(fallback)) return fallback;
  return there.includes('debian') ? 'debian' : there[0]!;
}
