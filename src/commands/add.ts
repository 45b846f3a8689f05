import { fieldProblem } from '../core/fields.js';
import { fqdnProblem, hostnameProblem } from '../core/naming.js';
import { parseProfileType } from '../core/profile-types.js';
import { isSizeName, SIZE_NAMES } from '../core/sizes.js';
import { ExitCode } from '../core/errors.js';
import { openWorkspace } from '../app/workspace.js';
import { readPasswordFile, writeEntry } from '../app/write-entry.js';
import type { Entry } from '../app/write-entry.js';
import { flag, pathFlag, str, usageError, workspaceOptions } from './options.js';
import type { CommandInput } from './types.js';

/** flag → pillar key; each value is checked with the same rule validate applies to the file. */
const FLAG_KEYS: Record<string, string> = {
  'profile-type': 'profile_type',
  mode: 'mode',
  ip: 'ip',
  mac: 'mac',
  'from-container': 'from_container',
  image: 'image',
  'bootsalt-branch': 'bootsalt_branch',
};

async function entryFromFlags(input: CommandInput): Promise<Entry> {
  const entry: Entry = {};
  for (const [name, key] of Object.entries(FLAG_KEYS)) {
    const raw = str(input, name);
    if (raw === undefined) continue;
    const problem = fieldProblem(key, raw);
    if (problem)
      throw usageError(
        `--${name}`,
        `--${name} ${problem}`,
        name === 'profile-type' ? 'lvm, lvm-scratch, dir, dir-scratch, overlayfs or overlayfs-scratch' : 'see `lxc-wizard add --help`',
      );
    entry[key] = key === 'profile_type' ? parseProfileType(raw).type : raw;
    if (key === 'profile_type' && parseProfileType(raw).aliasOf) input.out.warn(`--profile-type ${raw} is read as ${String(entry[key])}`);
  }
  const size = str(input, 'size');
  if (size !== undefined) {
    if (!isSizeName(size)) throw usageError('--size', `--size must be a size profile, not '${size}'`, `one of ${SIZE_NAMES.join(', ')}`);
    entry.profile = size; // the seed's spelling: `profile: small`
  }
  const pwFile = pathFlag(input, 'password-file');
  if (pwFile !== undefined) entry.password = await readPasswordFile(pwFile);
  return entry;
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
  const result = await writeEntry(ws, node, vm, await entryFromFlags(input), {
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
