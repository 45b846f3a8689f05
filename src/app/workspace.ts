import { resolveDefaults, type Env, type ResolvedDefaults } from '../core/defaults.js';
import { UserError } from '../core/errors.js';
import type { Finding } from '../core/findings.js';
import type { StoreSnapshot } from '../core/model.js';
import type { SettingsContext } from '../core/settings.js';
import { parsePillar, readPillar, readPillarText, type KnownParses, type PillarFile } from '../pillar-writer/read.js';
import type { TextFile } from '../pillar-writer/safe-file.js';
import { realPathOf } from '../pillar-writer/safe-file.js';
import { StateStore } from '../pillar-writer/state-store.js';

/** What the front ends decide before a use case runs: every value checked, paths absolute. */
export interface WorkspaceOptions {
  pillar: string;
  stateDir?: string;
  /** --env or LXC_WIZARD_ENV; undefined lets the pillar's default_env decide */
  env: Env | undefined;
  /** the controller's FQDN: the salt master VMs attach to (a promise while `hostname -f` answers) */
  controller: string | Promise<string>;
}

/** A pillar file, the store beside it, env and controller: what every pillar use case starts from. */
export interface Workspace {
  pillarPath: string;
  store: StateStore;
  settings: SettingsContext;
}

/**
 * The pillar by its real path (links resolved): the file edited, its lock and the store beside
 * it are the target's, never the link's.
 */
export async function openWorkspace(o: WorkspaceOptions): Promise<Workspace> {
  const pillarPath = await realPathOf(o.pillar);
  return {
    pillarPath,
    store: StateStore.besidePillar(pillarPath, o.stateDir),
    settings: { env: o.env, controller: await o.controller },
  };
}

export interface Loaded {
  file: PillarFile;
  rd: ResolvedDefaults;
  /** every stored value, per compute node */
  store: StoreSnapshot;
}

/** Read the pillar and the store; a Jinja or unparsable file is refused with its line. */
export async function loadWorkspace(
  ws: Workspace,
  opts: {
    requireParsable?: boolean;
    /** parses of the pillar held already: the file is parsed again only if its bytes are none of theirs */
    known?: KnownParses;
  } = {},
): Promise<Loaded> {
  const file = await readPillar(ws.pillarPath, opts.known);
  if (opts.requireParsable !== false && file.editBlocker) throw blockerError(file.editBlocker);
  const store = await ws.store.values.readAll();
  return { file, rd: resolveDefaults(file.model, ws.settings.env), store };
}

/** The pillar's bytes, checked as every read checks them, for a caller that parses them later. */
export function readPillarBytes(ws: Workspace): Promise<TextFile> {
  return readPillarText(ws.pillarPath);
}

/** loadWorkspace over bytes read before (and a store read with them): the parse alone, at the caller's time. */
export function loadedFrom(ws: Workspace, read: TextFile, store: StoreSnapshot): Loaded {
  const file = parsePillar(ws.pillarPath, read.text, read.facts);
  if (file.editBlocker) throw blockerError(file.editBlocker);
  return { file, rd: resolveDefaults(file.model, ws.settings.env), store };
}

export function blockerError(b: Finding, consequence?: string): UserError {
  return new UserError(consequence ? `${b.message}; ${consequence}` : b.message, {
    where: b.where,
    hint: b.hint ?? 'fix the file first (lxc-wizard validate shows every problem)',
  });
}

/** Where use cases say what they did: the command's output, or the wizard. */
export interface Reporter {
  info(message: string): void;
  warn(message: string): void;
  finding(f: Finding): void;
}
