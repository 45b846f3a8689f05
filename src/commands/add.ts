import { randomBytes, randomInt } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { allocateVm, type RandomSource } from '../core/allocation.js';
import { resolveDefaults } from '../core/defaults.js';
import { ExitCode, UserError } from '../core/errors.js';
import { fieldProblem } from '../core/fields.js';
import { countBySeverity, formatFinding } from '../core/findings.js';
import { fqdnProblem, hostnameProblem } from '../core/naming.js';
import { parseProfileType } from '../core/profile-types.js';
import { isSizeName, SIZE_NAMES } from '../core/sizes.js';
import { validatePillar } from '../core/validate.js';
import { writeFileAtomic } from '../pillar-writer/atomic-write.js';
import { unifiedDiff } from '../pillar-writer/diff.js';
import { upsertVmText, type Entry } from '../pillar-writer/edit.js';
import { withLock } from '../pillar-writer/lock.js';
import { parsePillar, readPillar } from '../pillar-writer/read.js';
import { pillarContext, type PillarContext } from './context.js';
import type { Finding } from '../core/findings.js';
import type { StoredVm } from '../core/model.js';
import type { CommandInput } from './spec.js';

const cryptoRandom: RandomSource = { bytes: (n) => randomBytes(n), int: (max) => randomInt(max) };

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

function bad(flag: string, message: string, hint: string): UserError {
  return new UserError(message, { where: { field: flag }, hint, exitCode: ExitCode.USAGE });
}

async function entryFromFlags(input: CommandInput): Promise<Entry> {
  const v = input.values;
  const entry: Entry = {};
  for (const [flag, key] of Object.entries(FLAG_KEYS)) {
    const raw = v[flag];
    if (typeof raw !== 'string') continue;
    const problem = fieldProblem(key, raw);
    if (problem)
      throw bad(
        `--${flag}`,
        `--${flag} ${problem}`,
        flag === 'profile-type' ? 'lvm, lvm-scratch, dir, dir-scratch, overlayfs or overlayfs-scratch' : `see \`lxc-wizard add --help\``,
      );
    entry[key] = key === 'profile_type' ? parseProfileType(raw).type : raw;
    if (key === 'profile_type' && parseProfileType(raw).aliasOf) input.out.warn(`--profile-type ${raw} is read as ${entry[key]}`);
  }
  if (typeof v.size === 'string') {
    if (!isSizeName(v.size)) throw bad('--size', `--size must be a size profile, not '${v.size}'`, `one of ${SIZE_NAMES.join(', ')}`);
    entry.profile = v.size; // the seed's spelling: `profile: small`
  }
  if (typeof v['password-file'] === 'string') {
    const path = resolve(input.io.cwd, v['password-file']);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw bad(
        '--password-file',
        `cannot read ${path}: ${(err as Error).message}`,
        'give a readable file holding the password on its first line',
      );
    }
    const password = text.replace(/\r?\n$/, '');
    const problem = fieldProblem('password', password);
    if (problem) throw bad('--password-file', `the password in ${path} ${problem}`, 'one line, no colon');
    entry.password = password;
  }
  return entry;
}

export interface WriteOptions {
  update: boolean;
  dryRun?: boolean;
  backup?: boolean;
  /** the content the operator reviewed: refuse if the file no longer has it */
  reviewedSha256?: string;
  onFinding?: (f: Finding) => void;
  onWarn?: (message: string) => void;
}

/**
 * Validate and write one VM entry, allocating its generated values: the one write path of `add`
 * and the wizard. Lock first, then read, so two writers queue instead of losing an entry.
 */
export async function writeEntry(
  ctx: PillarContext,
  node: string,
  vm: string,
  given: Entry,
  o: WriteOptions,
): Promise<{ diff: string; allocated: StoredVm | undefined }> {
  return withLock(ctx.pillarPath, async () => {
    const file = await readPillar(ctx.pillarPath);
    if (o.reviewedSha256 && file.sha256 !== o.reviewedSha256) {
      throw new UserError(`${file.path} changed since you reviewed the change; nothing was written`, {
        where: { file: file.path },
        hint: 'go back and review again: the diff is made from the current file',
      });
    }
    const existing = file.model.vms.find((e) => e.name === vm);
    if (existing && (existing.node !== node || !o.update)) {
      throw new UserError(`VM '${vm}' already exists on compute node '${existing.node}'`, {
        where: { file: file.path, line: existing.line },
        hint:
          existing.node === node
            ? 'pass --update to change its keys, or pick another name'
            : 'names are unique across compute nodes: pick another name (moving a VM is destroy + add)',
      });
    }
    if (!existing && o.update)
      throw new UserError(`VM '${vm}' is not in ${file.path}, so there is nothing to update`, {
        where: { field: '--update' },
        hint: 'drop --update to add it',
      });
    const entry = existing ? { ...existing.keys, ...given } : given;
    const newText = upsertVmText(file, node, vm, entry);
    const after = parsePillar(file.path, newText);
    const rd = resolveDefaults(after.model, ctx.settings.env);
    const stored = await ctx.store.values.readAll();
    const findings = validatePillar(after.model, ctx.settings.env, stored, rd);
    const mine = findings.filter((f) => f.vm === vm || (f.node === node && f.code === 'bad-node-name'));
    const errors = mine.filter((f) => f.severity === 'error');
    for (const f of mine) if (f.severity === 'warning') o.onFinding?.(f);
    if (errors.length) {
      throw new UserError(
        `the entry of ${vm} is not valid; nothing was written:\n${errors.map((f) => '  ' + formatFinding(f).replace(/\n/g, '\n  ')).join('\n')}`,
        {
          where: { file: file.path },
          hint: 'change the flags above and run again',
        },
      );
    }
    const others = countBySeverity(findings.filter((f) => !mine.includes(f)));
    if (others.errors)
      o.onWarn?.(`${file.path} has ${others.errors} other error(s) that this entry does not depend on; run lxc-wizard validate`);
    const diff = unifiedDiff(file.path, file.text, newText);
    if (o.dryRun) return { diff, allocated: undefined };
    const state = await ctx.store.values.update(node, (current) => allocateVm(after.model, node, vm, rd.defaults, current, cryptoRandom));
    await writeFileAtomic(file.path, newText, { expectedSha256: file.sha256, backup: o.backup });
    return { diff, allocated: state[vm] };
  });
}

export async function run(input: CommandInput): Promise<number> {
  const [node, vm] = input.args as [string, string];
  const nodeProblem = hostnameProblem(node);
  if (nodeProblem)
    throw new UserError(`compute node id '${node}' ${nodeProblem}`, {
      where: { field: 'CN' },
      hint: 'the compute node id is its minion id, a lower-case host name',
      exitCode: ExitCode.USAGE,
    });
  const vmProblem = fqdnProblem(vm);
  if (vmProblem)
    throw new UserError(`VM name '${vm}' ${vmProblem}`, {
      where: { field: 'VM' },
      hint: 'the VM name is its container name and minion id: a lower-case FQDN such as web01.example.com',
      exitCode: ExitCode.USAGE,
    });
  const ctx = pillarContext(input);
  const given = await entryFromFlags(input);
  const dryRun = input.values['dry-run'] === true;
  const { out } = input;

  const result = await writeEntry(ctx, node, vm, given, {
    update: input.values.update === true,
    dryRun,
    backup: input.values.backup === true,
    onFinding: (f) => out.finding(f),
    onWarn: (m) => out.warn(m),
  });

  out.data(result.diff || '(no change)');
  if (dryRun) {
    out.info('dry run: nothing was written or allocated');
  } else {
    const a = result.allocated ?? {};
    const gen = [
      a.ip && `ip ${a.ip}`,
      a.mac && `mac ${a.mac}`,
      a.ssh_reverse_proxy_port && `ssh port ${a.ssh_reverse_proxy_port}`,
      a.password && 'a password',
    ].filter(Boolean);
    out.info(
      `wrote ${vm} on ${node} to ${ctx.pillarPath}${gen.length ? `; kept in ${ctx.store.values.fileOf(node)}: ${gen.join(', ')}` : ''}`,
    );
    out.info(`see: lxc-wizard settings ${node} ${vm} --pillar ${ctx.pillarPath}`);
  }
  return ExitCode.OK;
}
