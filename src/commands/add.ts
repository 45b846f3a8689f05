import type { Mode } from '../core/defaults.js';
import { entryOf, parseYesNo, type EntryChoices } from '../core/entry.js';
import { fieldProblem } from '../core/fields.js';
import { fqdnProblem, hostnameProblem } from '../core/naming.js';
import { parseProfileType } from '../core/profile-types.js';
import { isSizeName, SIZE_NAMES } from '../core/sizes.js';
import { ExitCode } from '../core/errors.js';
import { openWorkspace } from '../app/workspace.js';
import { readPasswordFile, writeEntry } from '../app/write-entry.js';
import { flag, pathFlag, str, usageError, workspaceOptions } from './options.js';
import type { CommandInput } from './types.js';

/**
 * The flags as entry choices; each value is checked with the same rule validate applies to the
 * file, and the entry is written through core's entryOf, as the wizard writes it.
 */
async function choicesFromFlags(input: CommandInput): Promise<EntryChoices> {
  const c: EntryChoices = {};
  const checked = (name: string, key: string): string | undefined => {
    const raw = str(input, name);
    if (raw === undefined) return undefined;
    const problem = fieldProblem(key, raw);
    if (problem)
      throw usageError(
        `--${name}`,
        `--${name} ${problem}`,
        name === 'profile-type' ? 'lvm, lvm-scratch, dir, dir-scratch, overlayfs or overlayfs-scratch' : 'see `lxc-wizard add --help`',
      );
    return raw;
  };
  const type = checked('profile-type', 'profile_type');
  if (type !== undefined) {
    const parsed = parseProfileType(type);
    c.profileType = parsed.type;
    if (parsed.aliasOf) input.out.warn(`--profile-type ${type} is read as ${String(parsed.type)}`);
  }
  const size = str(input, 'size');
  if (size !== undefined) {
    if (!isSizeName(size)) throw usageError('--size', `--size must be a size profile, not '${size}'`, `one of ${SIZE_NAMES.join(', ')}`);
    c.size = size;
  }
  const mode = checked('mode', 'mode');
  if (mode !== undefined) c.mode = mode as Mode;
  const set = (name: string, key: string, choice: 'fromContainer' | 'image' | 'ip' | 'mac' | 'branch') => {
    const v = checked(name, key);
    if (v !== undefined) c[choice] = v;
  };
  set('from-container', 'from_container', 'fromContainer');
  set('image', 'image', 'image');
  set('ip', 'ip', 'ip');
  set('mac', 'mac', 'mac');
  const pwFile = pathFlag(input, 'password-file');
  if (pwFile !== undefined) c.password = await readPasswordFile(pwFile);
  set('bootsalt-branch', 'bootsalt_branch', 'branch');
  for (const name of ['snapshot', 'autostart'] as const) {
    const raw = str(input, name);
    if (raw === undefined) continue;
    const v = parseYesNo(raw);
    if (v === undefined) throw usageError(`--${name}`, `--${name} takes yes or no, not '${raw}'`, `--${name} yes`);
    c[name] = v;
  }
  return c;
}

export async function run(input: CommandInput): Promise<number> {
  const [node, vm] = input.args as [string, string];
  const nodeProblem = hostnameProblem(node);
  if (nodeProblem)
    throw usageError('CN', `compute node id '${node}' ${nodeProblem}`, 'the compute node id is its minion id, a lower-case host name');
  const vmProblem = fqdnProblem(vm);
  if (vmProblem)
    throw usageError(
      'VM',
      `VM name '${vm}' ${vmProblem}`,
      'the VM name is its container name and minion id: a lower-case FQDN such as web01.example.com',
    );
  const ws = await openWorkspace(workspaceOptions(input));
  const dryRun = flag(input, 'dry-run');
  const { out } = input;
  const result = await writeEntry(ws, node, vm, entryOf(await choicesFromFlags(input)), {
    update: flag(input, 'update'),
    dryRun,
    backup: flag(input, 'backup'),
    forcePillar: flag(input, 'force-pillar'),
    reporter: out,
  });
  out.data(result.diff || '(no change)');
  if (dryRun) {
    out.info('dry run: nothing was written or allocated');
    return ExitCode.OK;
  }
  const a = result.allocated ?? {};
  const gen = [
    a.ip && `ip ${a.ip}`,
    a.mac && `mac ${a.mac}`,
    a.ssh_reverse_proxy_port && `ssh port ${a.ssh_reverse_proxy_port}`,
    a.password && 'a password',
  ].filter(Boolean);
  out.info(`wrote ${vm} on ${node} to ${ws.pillarPath}${gen.length ? `; kept in ${ws.store.values.fileOf(node)}: ${gen.join(', ')}` : ''}`);
  out.info(`see: lxc-wizard settings ${node} ${vm} --pillar ${ws.pillarPath}`);
  return ExitCode.OK;
}
