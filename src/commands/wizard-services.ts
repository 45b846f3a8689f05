import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { nextFreeIpOf } from '../core/allocation.js';
import { resolveDefaults } from '../core/defaults.js';
import { formatFinding } from '../core/findings.js';
import { findVm } from '../core/model.js';
import { resolveNodeSettings } from '../core/node-settings.js';
import { settingsValues, type VmSettings } from '../core/settings.js';
import { validatePillar } from '../core/validate.js';
import { registerCleanup } from '../engine/cleanup.js';
import { NodeSession } from '../engine/node-session.js';
import type { StepName } from '../engine/steps/context.js';
import { unifiedDiff } from '../pillar-writer/diff.js';
import { upsertVmText } from '../pillar-writer/edit.js';
import { parsePillar } from '../pillar-writer/read.js';
import type { WizardServices } from '../wizard/services.js';
import { writeEntry } from './add.js';
import { loadPillar, type Loaded, type PillarContext } from './context.js';
import { publicKeys, stateHome, transportFactory } from './engine-setup.js';
import type { CommandInput } from './spec.js';

const prefsFile = (env: NodeJS.ProcessEnv) => join(stateHome(env), 'ui.json');

/** The advanced-options toggle is remembered between sessions (a per-operator preference). */
export function readPrefs(env: NodeJS.ProcessEnv): { advancedOpen: boolean } {
  try {
    return { advancedOpen: JSON.parse(readFileSync(prefsFile(env), 'utf8')).advancedOpen === true };
  } catch {
    return { advancedOpen: false };
  }
}

/** The wizard's services over the same code as the commands: pillar-writer for files, the engine for nodes. */
export async function wizardServices(
  input: CommandInput,
  ctx: PillarContext,
  passphrases?: Map<string, string>,
  beforeUi?: (nodes: string[]) => Promise<void>,
): Promise<WizardServices> {
  let loaded: Loaded = await loadPillar(ctx);
  await beforeUi?.([...loaded.file.model.nodes.keys()]);
  const reload = async () => (loaded = await loadPillar(ctx));
  const sessions = new Map<string, NodeSession>();
  // The probe's connection is the run's connection; whatever ends the wizard closes it.
  registerCleanup(async () => void (await Promise.all([...sessions.values()].map((s) => s.transport.close()))));
  const makeTransport = transportFactory(input, passphrases);
  const sessionOf = (node: string) =>
    sessions.get(node) ?? sessions.set(node, new NodeSession(makeTransport(node), { dryRun: false })).get(node)!;
  const d = loaded.rd.defaults;
  let reviewedSha = loaded.file.sha256;
  const settingsOf = (node: string, vm: string): VmSettings | undefined => {
    const e = findVm(loaded.file.model, node, vm);
    return e ? resolveNodeSettings(loaded.file.model, node, loaded.rd, ctx.settings, loaded.store.get(node) ?? {}, e)[0] : undefined;
  };
  return {
    pillarPath: ctx.pillarPath,
    env: ctx.settings.env,
    defaults: { mode: d.mode, origin: d.from_container, image: d.image, branch: d.bootsalt_branch },
    nodes: () => {
      const m = loaded.file.model;
      const names = [...m.nodes.keys()];
      if (!names.includes('localhost')) names.push('localhost');
      return names.map((name) => ({ name, vmCount: m.vms.filter((v) => v.node === name).length }));
    },
    existing: (name) => {
      const e = loaded.file.model.vms.find((v) => v.name === name);
      return e ? { node: e.node, line: e.line, keys: e.keys } : undefined;
    },
    probe: async (node) => {
      const f = await sessionOf(node).facts();
      if (!f.lxcVersion) return { state: 'error', error: 'LXC is not installed there', stopped: [], volumeGroups: [] };
      return {
        state: 'ok',
        lxcVersion: f.lxcVersion,
        freeKb: f.freeKb,
        volumeGroups: f.volumeGroups,
        stopped: [...f.containers.values()]
          .filter((c) => c.state === 'STOPPED')
          .map((c) => c.name)
          .sort(),
      };
    },
    nextFreeIp: (node) => nextFreeIpOf(loaded.file.model, node, d, loaded.store.get(node) ?? {}),
    preview: (node, vm, entry) => {
      const file = loaded.file;
      reviewedSha = file.sha256;
      const existing = findVm(file.model, node, vm);
      const text = upsertVmText(file, node, vm, existing ? { ...existing.keys, ...entry } : entry);
      const after = parsePillar(file.path, text);
      const rd = resolveDefaults(after.model, ctx.settings.env);
      const findings = validatePillar(after.model, ctx.settings.env, loaded.store, rd).filter((f) => f.vm === vm);
      const e = findVm(after.model, node, vm)!;
      const [s] = resolveNodeSettings(after.model, node, rd, ctx.settings, loaded.store.get(node) ?? {}, e) as [VmSettings];
      return {
        profile: String(s.fields.profile!.value),
        settings: settingsValues(s, false),
        warnings: findings.filter((f) => f.severity === 'warning').map((f) => f.message),
        errors: findings.filter((f) => f.severity === 'error').map((f) => formatFinding(f)),
        diff: unifiedDiff(file.path, file.text, text),
      };
    },
    write: async (node, vm, entry) => {
      const update = findVm(loaded.file.model, node, vm) !== undefined;
      await writeEntry(ctx, node, vm, entry, { update, reviewedSha256: reviewedSha });
      await reload();
    },
    run: async (node, vm, onEvent, signal, opts) => {
      await reload();
      const e = findVm(loaded.file.model, node, vm)!;
      // The engine's run (listr2 and all) loads when the first run starts, not before the first frame.
      const { provisionVms } = await import('./provision.js');
      const out = await provisionVms(ctx, loaded, [e], {
        dryRun: false,
        only: opts.only as StepName[] | undefined,
        concurrency: 1,
        noSalt: input.values['no-salt'] === true,
        bootsaltScript: input.values['bootsalt-script'] ? String(input.values['bootsalt-script']) : undefined,
        sshPublicKeys: await publicKeys(input),
        env: input.io.env,
        transport: makeTransport,
        sessions,
        listeners: [onEvent],
        signal,
        renderer: 'silent',
      });
      await reload();
      return { ok: out.results.every((r) => r.ok), logFile: out.logPath };
    },
    settings: (node, vm) => {
      const s = settingsOf(node, vm);
      return s ? settingsValues(s, true) : {};
    },
    rememberAdvanced: (open) => {
      const file = prefsFile(input.io.env);
      try {
        mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
        writeFileSync(file, JSON.stringify({ advancedOpen: open }) + '\n', { mode: 0o600 });
      } catch {
        // a preference that cannot be kept is not worth interrupting the operator for
      }
    },
  };
}
