import { fqdnProblem, hostnameProblem } from '../core/naming.js';
import { macProblem, parseIPv4 } from '../core/ipv4.js';
import { MODES, type Mode } from '../core/defaults.js';
import { parseProfileType, PROFILE_TYPES, profileTypeFor, type Backing, type InstallMode } from '../core/profile-types.js';
import { DEFAULT_SIZE, isSizeName, SIZES, SIZE_NAMES, type SizeName } from '../core/sizes.js';
import type { Advanced, Answers, Choice, NodeProbe, ScreenId, WizardState } from './types.js';

/**
 * The wizard as a state machine: which screen follows which, what each answer allows, and the
 * pillar entry the answers produce. No React here: the Ink screens and the --plain prompts both
 * drive it.
 */
export function initialState(defaults: { mode: Mode; advancedOpen: boolean }): WizardState {
  return { screen: 'node', history: [], answers: { mode: defaults.mode, advancedOpen: defaults.advancedOpen, advanced: {} } };
}

export function isLvm(a: Answers): boolean {
  return a.backing === 'lvm';
}

/** The question order; size only for LVM. */
export function nextScreen(current: ScreenId, a: Answers): ScreenId {
  const order: ScreenId[] = ['node', 'name', 'backing', 'install', 'size', 'mode', 'advanced', 'review', 'run', 'result'];
  let i = order.indexOf(current) + 1;
  while (order[i] === 'size' && !isLvm(a)) i++;
  return order[Math.min(i, order.length - 1)]!;
}

export function advance(s: WizardState, patch: Partial<Answers>): WizardState {
  const answers = { ...s.answers, ...patch, advanced: { ...s.answers.advanced, ...(patch.advanced ?? {}) } };
  const screen = nextScreen(s.screen, answers);
  return { screen, answers, history: [...s.history, s.screen] };
}

/** Esc: one screen back, every answer kept. Not once the run has started. */
export function back(s: WizardState): WizardState {
  if (s.screen === 'run' || s.screen === 'result' || s.history.length === 0) return s;
  return { ...s, screen: s.history[s.history.length - 1]!, history: s.history.slice(0, -1) };
}

export function jump(s: WizardState, screen: ScreenId): WizardState {
  return { ...s, screen, history: [...s.history, s.screen] };
}

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

export function backingChoices(probe: NodeProbe | undefined): Choice<Backing>[] {
  const vgs = probe?.state === 'ok' ? probe.volumeGroups : undefined;
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
  const stopped = probe?.state === 'ok' ? probe.stopped : undefined;
  const noOrigin = stopped && stopped.length === 0 ? { disabled: 'no stopped container on this node to clone' } : {};
  return [
    { value: 'clone', label: `clone an origin container${backing === 'overlayfs' ? ' (snapshot)' : ''}`, ...noOrigin },
    { value: 'create', label: 'create from a template image' },
  ];
}

/** The preselected choice: the usual default if the node can serve it, else the first it can. */
export function preselect<T extends string>(choices: Choice<T>[], preferred: T | undefined): T | undefined {
  const ok = choices.filter((c) => !c.disabled);
  return (ok.find((c) => c.value === preferred) ?? ok[0])?.value;
}

export function originChoices(probe: NodeProbe | undefined, fallback: string): string[] {
  const stopped = probe?.state === 'ok' ? probe.stopped : [];
  return stopped.length ? [...stopped].sort((a, b) => (a === fallback ? -1 : b === fallback ? 1 : a.localeCompare(b))) : [fallback];
}

export function sizeChoices(): Choice<SizeName>[] {
  return SIZE_NAMES.map((s) => ({ value: s, label: `${s.padEnd(9)} ${SIZES[s]}${s === DEFAULT_SIZE ? '  (default)' : ''}` }));
}

export function modeChoices(): Choice<Mode>[] {
  return (Object.keys(MODES) as Mode[]).map((m) => ({ value: m, label: `${m.padEnd(10)} ${MODES[m].summary}` }));
}

export function advancedProblem(a: Advanced): string | undefined {
  if (a.ip && parseIPv4(a.ip) === undefined) return `IP ${a.ip} is not an IPv4 address`;
  if (a.mac) {
    const p = macProblem(a.mac);
    if (p) return `MAC ${p}`;
  }
  if (a.password !== undefined && /[\n\r:]/.test(a.password)) return "the password must not contain ':' or line breaks";
  if (a.branch && !/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(a.branch)) return 'the branch name has characters git does not allow';
  return undefined;
}

/** The pillar entry the answers make: only what differs from the defaults is written. */
export function entryOf(a: Answers, defaults: { mode: Mode; origin: string; image: string }): Record<string, unknown> {
  const e: Record<string, unknown> = {};
  if (a.backing && a.install) e.profile_type = profileTypeFor(a.backing, a.install);
  if (a.backing && a.install && PROFILE_TYPES[profileTypeFor(a.backing, a.install)].sized && a.size && a.size !== DEFAULT_SIZE)
    e.profile = a.size;
  if (a.mode && a.mode !== defaults.mode) e.mode = a.mode;
  if (a.install === 'clone' && a.origin && a.origin !== defaults.origin) e.from_container = a.origin;
  if (a.install === 'create' && a.image && a.image !== defaults.image) e.image = a.image;
  const adv = a.advanced;
  if (adv.ip) e.ip = adv.ip;
  if (adv.mac) e.mac = adv.mac;
  if (adv.password) e.password = adv.password;
  if (adv.branch) e.bootsalt_branch = adv.branch;
  if (adv.snapshot !== undefined) e.snapshot = adv.snapshot;
  if (adv.autostart === false) e.autostart = false;
  return e;
}

/** The answers back from an existing entry ("edit that VM"). */
export function answersFromEntry(node: string, name: string, keys: Record<string, unknown>, base: Answers): Answers {
  const type = parseProfileType(keys.profile_type).type ? PROFILE_TYPES[parseProfileType(keys.profile_type).type!] : undefined;
  return {
    ...base,
    node,
    name,
    backing: type?.backing ?? base.backing,
    install: type?.install ?? base.install,
    origin: typeof keys.from_container === 'string' ? keys.from_container : base.origin,
    image: typeof keys.image === 'string' ? keys.image : base.image,
    size: isSizeName(keys.profile) ? keys.profile : base.size,
    mode: keys.mode === 'salt' || keys.mode === 'mastersalt' ? keys.mode : base.mode,
    advanced: {
      ip: typeof keys.ip === 'string' ? keys.ip : undefined,
      mac: typeof keys.mac === 'string' ? keys.mac : undefined,
      password: typeof keys.password === 'string' ? keys.password : undefined,
      branch: typeof keys.bootsalt_branch === 'string' ? keys.bootsalt_branch : undefined,
      snapshot: typeof keys.snapshot === 'boolean' ? keys.snapshot : undefined,
      autostart: typeof keys.autostart === 'boolean' ? keys.autostart : undefined,
    },
  };
}
