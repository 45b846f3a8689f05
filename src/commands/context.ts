import { hostname } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { resolveDefaults, type Env, type ResolvedDefaults } from '../core/defaults.js';
import { ExitCode, UserError } from '../core/errors.js';
import type { StoreSnapshot } from '../core/model.js';
import { reconcileNodeState } from '../core/allocation.js';
import type { SettingsContext } from '../core/settings.js';
import { readPillar, type PillarFile } from '../pillar-writer/read.js';
import { StateStore } from '../pillar-writer/state-store.js';
import type { CommandInput } from './spec.js';

/** What every pillar command starts from: the file, the store beside it, env and controller. */
export interface PillarContext {
  pillarPath: string;
  store: StateStore;
  settings: SettingsContext;
}

export function pillarContext({ values, io }: CommandInput): PillarContext {
  const raw = (values.pillar as string | undefined) ?? io.env.LXC_WIZARD_PILLAR;
  if (!raw) {
    throw new UserError('no pillar file given', {
      where: { field: '--pillar' },
      hint: 'pass --pillar FILE or set LXC_WIZARD_PILLAR',
      exitCode: ExitCode.USAGE,
    });
  }
  const pillarPath = isAbsolute(raw) ? raw : resolve(io.cwd, raw);
  const envRaw = (values.env as string | undefined) ?? io.env.LXC_WIZARD_ENV ?? 'prod';
  if (envRaw !== 'prod' && envRaw !== 'dev') {
    throw new UserError(`--env must be prod or dev, not '${envRaw}'`, {
      where: { field: values.env ? '--env' : 'LXC_WIZARD_ENV' },
      hint: 'prod: lvm, branch stable; dev: overlayfs snapshots, branch master',
      exitCode: ExitCode.USAGE,
    });
  }
  const stateDir = values['state-dir'] as string | undefined;
  return {
    pillarPath,
    store: StateStore.besidePillar(pillarPath, stateDir ? resolve(io.cwd, stateDir) : undefined),
    settings: { env: envRaw as Env, controller: (values.controller as string | undefined) ?? hostname() },
  };
}

export interface Loaded {
  file: PillarFile;
  rd: ResolvedDefaults;
  /** stored values with the pillar taken into account (explicit values win) */
  store: StoreSnapshot;
}

/** Read the pillar and the store; a Jinja or unparsable file is refused with its line. */
export async function loadPillar(ctx: PillarContext, opts: { requireParsable?: boolean } = {}): Promise<Loaded> {
  const file = await readPillar(ctx.pillarPath);
  if (opts.requireParsable !== false && file.editBlocker) {
    const b = file.editBlocker;
    throw new UserError(b.message, { where: b.where, hint: b.hint ?? 'fix the file first (lxc-wizard validate shows every problem)' });
  }
  const raw = await ctx.store.values.readAll();
  const store = new Map([...raw].map(([node, s]) => [node, reconcileNodeState(file.model, node, s)]));
  return { file, rd: resolveDefaults(file.model, ctx.settings.env), store };
}
