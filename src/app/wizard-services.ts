import { nextFreeIpOf } from '../core/allocation.js';
import { formatFinding } from '../core/findings.js';
import { findVm } from '../core/model.js';
import { resolveNodeSettings } from '../core/node-settings.js';
import { settingsValues } from '../core/settings.js';
import type { StepName } from '../core/steps.js';
import { NodeSession } from '../engine/node-session.js';
import { registerCleanup } from '../process/cleanup.js';
import type { WizardServices } from '../wizard/services.js';
import { controllerSide } from './controller-side.js';
import { draftEntry } from './draft.js';
import { publicKeys, transportFactory, type ReachOptions } from './node-access.js';
import { writePrefs } from './prefs.js';
import { writeEntry } from './write-entry.js';
import { loadWorkspace, type Loaded, type Workspace } from './workspace.js';

export interface WizardRunOptions {
  noSalt: boolean;
  bootsaltScript?: string;
  /** --ssh-pubkey files; default ~/.ssh/*.pub */
  sshPublicKeyFiles?: string[];
  /** --master-pki */
  masterPki?: string;
}

/** The wizard's services over the same use cases as the commands: the same draft, write and run. */
export async function wizardServices(
  ws: Workspace,
  reach: ReachOptions,
  run: WizardRunOptions,
  o: { passphrases?: Map<string, string>; beforeUi?: (nodes: string[]) => Promise<void> } = {},
): Promise<WizardServices> {
  let loaded: Loaded = await loadWorkspace(ws);
  await o.beforeUi?.([...loaded.file.model.nodes.keys()]);
  const reload = async () => (loaded = await loadWorkspace(ws));
  const sessions = new Map<string, NodeSession>();
  // The probe's connection is the run's connection; whatever ends the wizard closes it.
  registerCleanup(async () => void (await Promise.all([...sessions.values()].map((s) => s.transport.close()))));
  const makeTransport = transportFactory(reach, o.passphrases);
  const sessionOf = (node: string) =>
    sessions.get(node) ?? sessions.set(node, new NodeSession(makeTransport(node), { dryRun: false })).get(node)!;
  const d = loaded.rd.defaults;
  let reviewedSha = loaded.file.sha256;
  return {
    pillarPath: ws.pillarPath,
    env: loaded.rd.env,
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
      const stopped = [...f.containers.values()]
        .filter((c) => c.state === 'STOPPED')
        .map((c) => c.name)
        .sort();
      return { state: 'ok', lxcVersion: f.lxcVersion, freeKb: f.freeKb, volumeGroups: f.volumeGroups, stopped };
    },
    nextFreeIp: (node) => nextFreeIpOf(loaded.file.model, node, d, loaded.store.get(node) ?? {}),
    preview: (node, vm, entry) => {
      reviewedSha = loaded.file.sha256;
      const draft = draftEntry(ws, loaded.file, loaded.store, node, vm, entry);
      return {
        profile: String(draft.settings.fields.profile!.value),
        settings: settingsValues(draft.settings, false),
        warnings: draft.mine.filter((f) => f.severity === 'warning').map((f) => f.message),
        errors: draft.mine.filter((f) => f.severity === 'error').map((f) => formatFinding(f)),
        diff: draft.diff,
      };
    },
    write: async (node, vm, entry) => {
      const update = findVm(loaded.file.model, node, vm) !== undefined;
      await writeEntry(ws, node, vm, entry, { update, reviewedSha256: reviewedSha });
      await reload();
    },
    run: async (node, vm, onEvent, signal, opts) => {
      await reload();
      const e = findVm(loaded.file.model, node, vm)!;
      // The engine's run (listr2 and all) loads when the first run starts, not before the first frame.
      const { provisionVms } = await import('./provision.js');
      const out = await provisionVms(ws, loaded, [e], {
        dryRun: false,
        only: opts.only as StepName[] | undefined,
        concurrency: 1,
        noSalt: run.noSalt,
        bootsaltScript: run.bootsaltScript,
        sshPublicKeys: await publicKeys(run.sshPublicKeyFiles, reach.home),
        stateHome: reach.stateHome,
        transport: makeTransport,
        sessions,
        listeners: [onEvent],
        signal,
        controller: controllerSide({ storeDir: ws.store.dir, env: process.env, ...(run.masterPki ? { masterPki: run.masterPki } : {}) }),
      });
      await reload();
      return { ok: out.results.every((r) => r.ok), logFile: out.logPath ?? '' };
    },
    settings: (node, vm) => {
      const e = findVm(loaded.file.model, node, vm);
      const s = e ? resolveNodeSettings(loaded.file.model, node, loaded.rd, ws.settings, loaded.store.get(node) ?? {}, e)[0] : undefined;
      return s ? settingsValues(s, true) : {};
    },
    rememberAdvanced: (open) => writePrefs(reach.stateHome, { advancedOpen: open }),
  };
}
