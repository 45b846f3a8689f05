import { netPaths } from '../engine/node-net.js';
import { ipOnWriteOf } from '../core/allocation.js';
import { formatFinding } from '../core/findings.js';
import { findVm } from '../core/model.js';
import { resolveNodeSettings } from '../core/node-settings.js';
import { settingsValues } from '../core/settings.js';
import { UserError } from '../core/errors.js';
import type { VmEntry } from '../core/model.js';
import type { RunEvent } from '../core/run-events.js';
import { NodeSession } from '../engine/node-session.js';
import type { Transport } from '../engine/transport.js';
import { sha256, type PillarFile } from '../pillar-writer/read.js';
import { registerCleanup } from '../process/cleanup.js';
import type { RunOutcome, WizardServices } from '../wizard/services.js';
import { controllerSide } from './controller-side.js';
import { draftEntry } from './draft.js';
import { publicKeys, transportFactory, wayInContext, type ReachOptions } from './node-access.js';
import { sshConfigStanza, waysIn, wayInVm } from '../core/ways-in.js';
import { writePrefs } from './prefs.js';
import { writeEntry } from './write-entry.js';
import { localLxcPath, passwordsOf } from './run-options.js';
import { nodeSetupSpecs } from './node-setup.js';
import type { ProvisionOptions } from './provision.js';
import { forgetSummary, readSummary, sameSummary, summaryOf, writeSummary, type PillarSummary } from './pillar-summary.js';
import { loadedFrom, loadWorkspace, readPillarBytes, type Loaded, type Workspace } from './workspace.js';

export interface WizardRunOptions {
  noSalt: boolean;
  bootsaltScript?: string;
  /** --ssh-pubkey files; default ~/.ssh/*.pub */
  sshPublicKeyFiles?: string[];
  /** --master-pki */
  masterPki?: string;
  /** --origin-template, --origin-release: how node setup makes an origin the controller has no copy of */
  originTemplate?: { template: string; release?: string };
  /** the flags the wizard was started with that its equivalent commands repeat */
  commandArgs: { context: string[]; run: string[] };
}

/**
 * A pillar this small (a few dozen VMs) is parsed before the first frame even when nothing was
 * kept of it: cold, that takes 10-50 ms, about what a "reading" frame followed by the node list
 * would take to draw, and the operator sees the list at once instead of a flash.
 */
export const SMALL_PILLAR = 8 * 1024;

/** The wizard's services over the same use cases as the commands: the same draft, write, run and node setup. */
export async function wizardServices(
  ws: Workspace,
  reach: ReachOptions,
  run: WizardRunOptions,
  o: {
    passphrases?: Map<string, string>;
    /** what must be asked before the UI, for the pillar's nodes (given: the pillar is read before the first frame) */
    beforeUi?: (nodes: string[]) => Promise<void>;
    /** bytes up to which a pillar never read before is parsed before the first frame (default SMALL_PILLAR) */
    parseFirstUpTo?: number;
  } = {},
): Promise<WizardServices & { failure(): unknown }> {
  // The first screen needs the nodes, env and defaults only: when these very bytes were read
  // before (by this build, with this --env), they are drawn at once and the parse waits until the
  // screen is up (`ready`); anything the flow does after the first screen waits for it. When they
  // were not, the first frame says the pillar is being read and the parse follows it, unless
  // something must be asked before the UI (a key's passphrase, for the pillar's nodes) or the file
  // is small: then the parse comes first.
  const bytes = await readPillarBytes(ws);
  const key = { sha256: sha256(bytes.text), envFlag: ws.settings.env };
  const store = await ws.store.values.readAll();
  let loaded: Loaded | undefined;
  let keptSha: string | undefined;
  /** keep the first screen's part of what was just read, for the next wizard on the same bytes */
  const keep = async (l: Loaded) => {
    const s = summaryOf(l);
    if (l.file.sha256 !== keptSha) await writeSummary(reach.stateHome, ws.pillarPath, { sha256: l.file.sha256, envFlag: key.envFlag }, s);
    keptSha = l.file.sha256;
    return s;
  };
  const kept = await readSummary(reach.stateHome, ws.pillarPath, key);
  if (kept) keptSha = key.sha256;
  else if (o.beforeUi || bytes.facts.size <= (o.parseFirstUpTo ?? SMALL_PILLAR)) loaded = loadedFrom(ws, bytes, store);
  /** the first screen as the pillar is now (a write changes the counts); undefined until read */
  let shown: PillarSummary | undefined = kept ?? (loaded ? await keep(loaded) : undefined);
  let reading: Promise<void> | undefined;
  let failure: unknown;
  const ready = () =>
    (reading ??= new Promise<void>((r) => setImmediate(r))
      .then(async () => {
        if (loaded) return;
        const l = loadedFrom(ws, bytes, store);
        // What the first screen showed must be what the pillar says (the defaults decide what an
        // entry leaves out): a summary that does not match is removed and the wizard ends.
        if (kept && !sameSummary(summaryOf(l), kept)) {
          await forgetSummary(reach.stateHome, ws.pillarPath);
          throw new UserError(`the first screen was drawn from a kept summary of ${ws.pillarPath} that does not match the file`, {
            hint: 'the summary is removed: start the wizard again, it reads the pillar afresh',
          });
        }
        shown = kept ?? (await keep(l));
        loaded = l;
      })
      .catch((err: unknown) => {
        failure = err;
        throw err;
      }));
  const now = (): Loaded => {
    if (!loaded) throw new Error('the pillar is used before it was read (WizardServices.ready)');
    return loaded;
  };
  const summary = (): PillarSummary => {
    if (!shown) throw new Error('env or defaults are used before the pillar was read (WizardServices.ready)');
    return shown;
  };
  if (o.beforeUi) await o.beforeUi(summary().nodes.map((n) => n.name));
  /** the pillar as the wizard last wrote it (its parse serves the next read while the bytes are the same) */
  let written: PillarFile | undefined;
  /** read the pillar again (someone may have changed it); parsed again only if its bytes changed */
  const reload = async () => {
    loaded = await loadWorkspace(ws, { known: [loaded?.file, written] });
    shown = await keep(loaded);
  };
  const sessions = new Map<string, NodeSession>();
  // The probe's connection is the run's connection; whatever ends the wizard closes it.
  registerCleanup(async () => void (await Promise.all([...sessions.values()].map((s) => s.transport.close()))));
  // the pillar's saltify passwords are known once it is read: the first connection is after that
  let factory: ((node: string) => Transport) | undefined;
  const makeTransport = (node: string) => (factory ??= transportFactory(reach, o.passphrases, passwordsOf(now())))(node);
  const sessionOf = (node: string) =>
    sessions.get(node) ??
    sessions.set(node, new NodeSession(makeTransport(node), { dryRun: false, net: netPaths(reach.instance) })).get(node)!;
  const resolvedOf = (node: string, vm: string) => {
    const l = now();
    const e = findVm(l.file.model, node, vm);
    return e ? resolveNodeSettings(l.file.model, node, l.rd, ws.settings, l.store.get(node) ?? {}, e)[0] : undefined;
  };
  const controller = controllerSide({ storeDir: ws.store.dir, env: process.env, ...(run.masterPki ? { masterPki: run.masterPki } : {}) });
  let reviewedSha = key.sha256;
  /** the pillar as the last review would write it (its parse serves the write of the same edit) */
  let reviewed: PillarFile | undefined;
  const stale = new Set<string>();
  /** One provisioning run over the shared sessions: VMs, or node setup alone. */
  const provision = async (
    vms: VmEntry[],
    onEvent: (e: RunEvent) => void,
    signal: AbortSignal,
    extra: Partial<ProvisionOptions>,
  ): Promise<RunOutcome> => {
    await reload();
    // The engine's run (listr2 and all) loads when the first run starts, not before the first frame.
    const { provisionVms } = await import('./provision.js');
    const out = await provisionVms(ws, now(), vms, {
      dryRun: false,
      concurrency: 1,
      noSalt: run.noSalt,
      ...(run.bootsaltScript ? { bootsaltScript: run.bootsaltScript } : {}),
      sshPublicKeys: await publicKeys(run.sshPublicKeyFiles, reach.home),
      stateHome: reach.stateHome,
      transport: makeTransport,
      net: netPaths(reach.instance),
      sessions,
      listeners: [onEvent],
      signal,
      controller,
      ...extra,
    });
    await reload();
    const r = out.results[0];
    return {
      ok: out.results.every((x) => x.ok),
      interrupted: signal.aborted,
      logFile: out.logPath ?? '',
      steps: r?.steps ?? [],
    };
  };
  return {
    pillarPath: ws.pillarPath,
    ready,
    failure: () => failure,
    get env() {
      return summary().env;
    },
    get defaults() {
      return summary().defaults;
    },
    commandArgs: run.commandArgs,
    noSalt: run.noSalt,
    bootstrap: (mode) => run.bootsaltScript ?? controller.bootstrapScript(mode),
    nodes: () => shown?.nodes,
    existing: (name) => {
      const e = now().file.model.vms.find((v) => v.name === name);
      return e ? { node: e.node, line: e.line, keys: e.keys } : undefined;
    },
    probe: async (node) => {
      const f = await sessionOf(node).facts(stale.delete(node));
      const d = now().rd.defaults;
      const missing = [
        ...(f.lxcVersion ? [] : ['LXC is not installed']),
        ...(d.use_bridge && !f.bridges.includes(d.bridge) ? [`bridge ${d.bridge} does not exist`] : []),
        ...(f.lxcVersion && !f.netSetUp
          ? ['node setup has not run (no lxc-wizard-net): the ssh reverse proxy port would not forward']
          : []),
      ];
      const stopped = [...f.containers.values()]
        .filter((c) => c.state === 'STOPPED')
        .map((c) => c.name)
        .sort();
      return {
        state: 'ok',
        ...(f.lxcVersion ? { lxcVersion: f.lxcVersion } : {}),
        ...(f.freeKb !== undefined ? { freeKb: f.freeKb } : {}),
        volumeGroups: f.volumeGroups,
        templates: [...f.templates].sort(),
        stopped,
        missing,
        vms: [...f.containers.values()].filter((c) => c.owner === c.name).map((c) => c.name),
        // what the run's preflight would refuse to take over (its mark names another, or none)
        foreign: [...f.containers.values()].filter((c) => c.owner !== c.name).map((c) => c.name),
      };
    },
    ipOnWrite: (node, vm) => {
      try {
        return ipOnWriteOf(now().file.model, node, vm, now().rd.defaults, now().store.get(node) ?? {});
      } catch (err) {
        // nothing left to allocate: the review says so, with its hint
        if (err instanceof UserError) return undefined;
        throw err;
      }
    },
    preview: (node, vm, entry) => {
      const l = now();
      reviewedSha = l.file.sha256;
      const draft = draftEntry(ws, l.file, l.store, node, vm, entry);
      reviewed = draft.after;
      return {
        profile: String(draft.settings.fields.profile!.value),
        settings: settingsValues(draft.settings, false),
        warnings: draft.mine.filter((f) => f.severity === 'warning').map((f) => f.message),
        errors: draft.mine.filter((f) => f.severity === 'error').map((f) => formatFinding(f)),
        diff: draft.diff,
      };
    },
    write: async (node, vm, entry, w) => {
      try {
        ({ written } = await writeEntry(ws, node, vm, entry, {
          update: w.update,
          reviewedSha256: reviewedSha,
          known: [loaded?.file, reviewed],
        }));
      } finally {
        // refused or written, the next review is made from the file as it is now (a refusal for a
        // file changed since the review would otherwise come back at every try)
        await reload();
      }
    },
    run: async (node, vm, onEvent, signal, opts) => {
      await reload();
      const e = findVm(now().file.model, node, vm);
      if (!e) throw new UserError(`${vm} is no longer in ${ws.pillarPath}`, { hint: 'someone changed the pillar: start the wizard again' });
      return provision([e], onEvent, signal, {
        ...(opts.from ? { from: opts.from } : {}),
        noSalt: opts.noSalt || run.noSalt,
        ...(opts.adopt ? { adopt: true } : {}),
      });
    },
    setupNode: async (node, origins, onEvent, signal) => {
      await reload();
      const specs = nodeSetupSpecs(ws, now(), [node], {
        sshPublicKeys: await publicKeys(run.sshPublicKeyFiles, reach.home),
        controllerLxcPath: localLxcPath(),
        ...(run.originTemplate ? { originTemplate: run.originTemplate } : {}),
      });
      const spec = specs.get(node)!;
      // what the operator picked in the wizard, beside what the pillar's entries on the node need
      specs.set(node, { ...spec, origins: [...new Set([...spec.origins, ...origins])].sort() });
      const r = await provision([], onEvent, signal, { setup: specs });
      // the node changed: the next probe (and the run's preflight after it) reads its facts again
      stale.add(node);
      return r;
    },
    settings: (node, vm) => {
      const s = resolvedOf(node, vm);
      return s ? settingsValues(s, true) : {};
    },
    waysIn: (node, vm) => {
      const s = resolvedOf(node, vm);
      if (!s) return { lines: [] };
      // the run just ended with its reachable step: what it checked is what is printed
      const ctx = wayInContext(reach, node, { forwarded: true, ...(run.sshPublicKeyFiles ? { pubkeyFiles: run.sshPublicKeyFiles } : {}) });
      const stanza = sshConfigStanza(wayInVm(s), ctx);
      return { lines: waysIn(wayInVm(s), ctx), ...(stanza ? { stanza } : {}) };
    },
    rememberAdvanced: (open) => writePrefs(reach.stateHome, { advancedOpen: open }),
  };
}
