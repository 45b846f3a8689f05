import { lstat, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { cloudFiles, type CloudNote } from '../core/cloud-files.js';
import { MODES } from '../core/defaults.js';
import { resolveNodeSettings } from '../core/node-settings.js';
import { ExitCode, fileError, UserError } from '../core/errors.js';
import { plural } from '../core/findings.js';
import { validatePillar } from '../core/validate.js';
import { prepareAtomicWrite } from '../pillar-writer/atomic-write.js';
import { maskedDiff } from '../pillar-writer/diff.js';
import { sha256 } from '../pillar-writer/read.js';
import { checkedOutPath, readTextFile } from '../pillar-writer/safe-file.js';
import { dumpSaltYaml } from '../pillar-writer/salt-dump.js';
import type { Loaded, Workspace } from './workspace.js';

export interface ControllerSetupOptions {
  /** the configuration prefix salt-cloud reads (default by mode: /etc/mastersalt or /etc/salt) */
  out?: string;
  dryRun: boolean;
  showSecrets: boolean;
}

export type CloudFileState = 'written' | 'unchanged' | 'would write';

export interface CloudFileResult {
  path: string;
  state: CloudFileState;
  /** unified diff, secrets masked; empty when unchanged */
  diff: string;
  /** the file replaced was not written by lxc-wizard: its content is kept as FILE.bak */
  backup: boolean;
}

const HEADER_FIRST = 'Written by lxc-wizard controller setup';

/** The prefix salt-cloud reads for the pillar's mode. */
export function cloudDirFor(loaded: Loaded, out?: string): string {
  return out ?? MODES[loaded.rd.defaults.mode].config;
}

/**
 * The seed's post_deploy_controller: salt-cloud's providers, profiles and map for the pillar's fleet.
 * Deterministic; each file written only when its content changes (atomic, its mode kept), a file
 * lxc-wizard did not write kept as FILE.bak; --dry-run computes the diffs and writes nothing.
 */
export async function controllerSetup(
  ws: Workspace,
  loaded: Loaded,
  o: ControllerSetupOptions,
): Promise<{ dir: string; files: CloudFileResult[]; notes: CloudNote[] }> {
  const { model } = loaded.file;
  const errors = validatePillar(model, ws.settings.env, loaded.store, loaded.rd).filter((f) => f.severity === 'error');
  if (errors.length) {
    throw new UserError(
      `${plural(errors.length, 'error')} in the pillar: salt-cloud's files would carry them (first: ${errors[0]!.message})`,
      {
        where: errors[0]!.where,
        hint: `lxc-wizard validate --pillar ${loaded.file.path} lists them; fix them first`,
      },
    );
  }
  const vms = [...model.nodes.keys()].flatMap((n) => resolveNodeSettings(model, n, loaded.rd, ws.settings, loaded.store.get(n) ?? {}));
  const { files, notes } = cloudFiles({
    nodes: [...model.nodes.values()],
    vms,
    rd: loaded.rd,
    ctx: ws.settings,
    showSecrets: o.showSecrets,
  });
  const dir = cloudDirFor(loaded, o.out);
  const header = `${HEADER_FIRST} from ${loaded.file.path}.\nWritten again on each run: change the pillar, not this file.`;
  const results: CloudFileResult[] = [];
  for (const f of files) {
    // a file we write under the operator's directory: no link followed at any level below it, and
    // nothing there another user owns or may write (a planted file would get the passwords)
    const path = await checkedOutPath(dir, f.rel, { what: "salt-cloud's file", field: '--out' });
    const text = dumpSaltYaml(f.data, header);
    const before = await readExisting(path);
    const diff = maskedDiff(path, before?.text ?? '', text);
    if (before?.text === text) {
      results.push({ path, state: 'unchanged', diff: '', backup: false });
      continue;
    }
    const foreign = before !== undefined && !before.text.startsWith(`# ${HEADER_FIRST}`);
    if (!o.dryRun) {
      try {
        await mkdir(dirname(path), { recursive: true, mode: 0o755 });
      } catch (err) {
        throw fileError(err, dirname(path), 'create');
      }
      const w = await prepareAtomicWrite(path, text, {
        ...(before ? { expectedSha256: sha256(before.text) } : {}),
        // the map holds every VM's settings (passwords with --show-secrets): 0600 whatever was there
        ...(f.secret || f.rel.endsWith('.map') ? { forceMode: 0o600 } : { mode: 0o644 }),
        backup: foreign,
      });
      try {
        await w.commit();
      } catch (err) {
        await w.abort();
        throw err;
      }
    }
    results.push({ path, state: o.dryRun ? 'would write' : 'written', diff, backup: foreign });
  }
  return { dir, files: results, notes };
}

async function readExisting(path: string): Promise<{ text: string } | undefined> {
  try {
    await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fileError(err, path, 'inspect');
  }
  return readTextFile(path, { what: 'salt-cloud file', exitCode: ExitCode.FAILURE });
}
