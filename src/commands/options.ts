import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Env } from '../core/defaults.js';
import { ExitCode, UserError } from '../core/errors.js';
import { hostnameProblem, instanceProblem } from '../core/naming.js';
import { printable } from '../core/printable.js';
import { isStepName, SEED_STEPS, type StepName } from '../core/steps.js';
import { checkSshConfig, stateHomeOf, type ReachOptions } from '../app/node-access.js';
import type { WorkspaceOptions } from '../app/workspace.js';
import type { RunFlags } from '../app/run-options.js';
import type { HostKeyPolicy } from '../app/node-access.js';
import type { CommandInput } from './types.js';

/** Flags become typed options here, once, every value checked; use cases never see the raw flags. */

export function usageError(flag: string, message: string, hint?: string): UserError {
  return new UserError(message, { where: { field: flag }, ...(hint ? { hint } : {}), exitCode: ExitCode.USAGE });
}

/** `lxc-wizard node setup`, `controller setup`: the one action there is, or a usage error naming it. */
export function requireSetup(action: string, command: string, usage: string): void {
  if (action !== 'setup') throw usageError('ACTION', `unknown action '${action}' (${command} setup is the one there is)`, usage);
}

export function str(input: CommandInput, name: string): string | undefined {
  const v = input.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function flag(input: CommandInput, name: string): boolean {
  return input.values[name] === true;
}

/** A path flag, resolved against the working directory; an empty value is a usage error. */
export function pathFlag(input: CommandInput, name: string): string | undefined {
  const v = str(input, name);
  if (v === undefined) return undefined;
  if (v === '') throw usageError(`--${name}`, `--${name} is empty`, `give --${name} a path`);
  return resolve(input.io.cwd, v);
}

export function homeOf(input: CommandInput): string {
  return input.io.env.HOME || homedir();
}

export function workspaceOptions(input: CommandInput): WorkspaceOptions {
  const env = input.io.env;
  const raw = str(input, 'pillar') ?? env.LXC_WIZARD_PILLAR;
  if (!raw) throw usageError('--pillar', 'no pillar file given', 'pass --pillar FILE or set LXC_WIZARD_PILLAR');
  const envRaw = str(input, 'env') ?? env.LXC_WIZARD_ENV;
  if (envRaw !== undefined && envRaw !== 'prod' && envRaw !== 'dev') {
    throw usageError(
      str(input, 'env') !== undefined ? '--env' : 'LXC_WIZARD_ENV',
      `--env must be prod or dev, not '${envRaw}'`,
      'prod: lvm, branch stable; dev: overlayfs snapshots, branch master',
    );
  }
  const controller = str(input, 'controller');
  if (controller !== undefined) {
    const p = hostnameProblem(controller);
    if (p)
      throw usageError(
        '--controller',
        `--controller '${controller}' ${p}`,
        'the controller is a host name (its FQDN), the salt master the VMs attach to',
      );
  }
  return {
    pillar: resolve(input.io.cwd, raw),
    stateDir: pathFlag(input, 'state-dir'),
    env: envRaw as Env | undefined,
    controller: controller ?? controllerFqdn(),
  };
}

/**
 * This host's fully qualified name, as `hostname -f` gives it (the original's grains['fqdn']):
 * the salt master the VMs attach to. The short host name when the resolver knows no better.
 */
export function controllerFqdn(): Promise<string> {
  // asked in the background: the resolver may take its time, and the wizard loads Ink meanwhile
  return new Promise((resolve) =>
    execFile('hostname', ['-f'], { encoding: 'utf8', timeout: 2000 }, (err, out) => {
      const fqdn = err ? '' : out.trim(); // no hostname(1), or no answer: fall back
      resolve(fqdn && !hostnameProblem(fqdn) ? fqdn : hostname().toLowerCase());
    }),
  );
}

export function reachOptions(input: CommandInput): ReachOptions {
  const env = input.io.env;
  const home = homeOf(input);
  const raw = str(input, 'host-key-policy');
  if (raw !== undefined && raw !== 'strict' && raw !== 'accept-new' && raw !== 'off') {
    throw usageError(
      '--host-key-policy',
      `--host-key-policy must be strict, accept-new or off, not '${raw}'`,
      'strict (default) refuses unknown keys; accept-new trusts a key on first use',
    );
  }
  if (raw === 'off')
    input.out.warn('--host-key-policy off: host keys are NOT verified; anyone on the path can impersonate the compute nodes');
  const instance = env.LXC_WIZARD_INSTANCE || undefined;
  const badInstance = instance === undefined ? undefined : instanceProblem(instance);
  if (badInstance)
    throw usageError(
      'LXC_WIZARD_INSTANCE',
      `LXC_WIZARD_INSTANCE '${printable(instance!)}' ${badInstance}`,
      'unset it for the default (lxc_wizard), or name this installation, e.g. LXC_WIZARD_INSTANCE=team_b',
    );
  const sshConfig = pathFlag(input, 'ssh-config');
  if (sshConfig !== undefined && !existsSync(sshConfig))
    throw usageError('--ssh-config', `--ssh-config ${sshConfig} does not exist`, 'give the path of an OpenSSH client config file');
  if (sshConfig !== undefined) checkSshConfig(sshConfig);
  return {
    sshConfig,
    hostKeyPolicy: raw as HostKeyPolicy | undefined,
    home,
    stateHome: stateHomeOf(env, home),
    agent: env.SSH_AUTH_SOCK || undefined,
    ...(instance ? { instance } : {}),
    log: (m) => input.out.info(m),
  };
}

/** A comma-separated list of step names (--only), or one step (--from). */
export function stepsFlag(input: CommandInput, name: string, one: boolean): StepName[] | undefined {
  const raw = str(input, name);
  if (raw === undefined) return undefined;
  const names = raw.split(',').map((s) => s.trim());
  const hint = `steps: ${SEED_STEPS.join(', ')}`;
  if (names.some((n) => n === '')) throw usageError(`--${name}`, `--${name} has an empty step name`, hint);
  if (one && names.length > 1) throw usageError(`--${name}`, `--${name} takes one step, not ${names.length}`, hint);
  for (const n of names) if (!isStepName(n)) throw usageError(`--${name}`, `--${name}: unknown step '${n}'`, hint);
  return names as StepName[];
}

/** A whole number in [min, max], written in decimal digits only (no 0x4, no 1e1). */
export function intFlag(input: CommandInput, name: string, dflt: number, min: number, max: number): number {
  const raw = str(input, name);
  if (raw === undefined) return dflt;
  const n = /^[0-9]{1,6}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < min || n > max)
    throw usageError(`--${name}`, `--${name} must be a whole number from ${min} to ${max}, not '${raw}'`);
  return n;
}

/** The flags of a provisioning run, checked; shared by --yes, node setup and the wizard. */
export function runFlags(input: CommandInput): RunFlags {
  const template = str(input, 'origin-template');
  const release = str(input, 'origin-release');
  if (template !== undefined && !/^[a-z][a-z0-9_-]{0,31}$/.test(template))
    throw usageError(
      '--origin-template',
      `--origin-template '${template}' is not an LXC template name`,
      'debian or ubuntu (see /usr/share/lxc/templates)',
    );
  if (release !== undefined && !/^[a-z0-9][a-z0-9._-]{0,31}$/.test(release))
    throw usageError('--origin-release', `--origin-release '${release}' is not a release name`, 'bookworm, jammy…');
  if (release !== undefined && template === undefined)
    throw usageError(
      '--origin-release',
      '--origin-release needs --origin-template',
      'for example --origin-template debian --origin-release bookworm',
    );
  return {
    dryRun: flag(input, 'dry-run'),
    only: stepsFlag(input, 'only', false),
    from: stepsFlag(input, 'from', true)?.[0],
    concurrency: intFlag(input, 'concurrency', 4, 1, 64),
    noSalt: flag(input, 'no-salt'),
    ...(input.values['adopt'] ? { adopt: true } : {}),
    bootsaltScript: pathFlag(input, 'bootsalt-script'),
    sshPublicKeyFiles: (input.values['ssh-pubkey'] as string[] | undefined)?.map((f) => resolve(input.io.cwd, f)),
    logPath: pathFlag(input, 'log-file'),
    masterPki: pathFlag(input, 'master-pki'),
    ...(template ? { originTemplate: { template, ...(release ? { release } : {}) } } : {}),
  };
}
