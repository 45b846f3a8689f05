import { readFile } from 'node:fs/promises';
import { StepError, type StepContext } from './context.js';

export const REMOTE_SCRIPT = '/tmp/.lxc-wizard/boot-salt.sh';

/** Upload the bootstrap script (and the minion settings it reads) into the VM. */
export async function uploadBootstrap(ctx: StepContext): Promise<void> {
  const path = ctx.opts.bootsaltScript;
  if (!path) {
    throw new StepError('the salt bootstrap needs a bootstrap script, and none was given', 'pass --bootsalt-script PATH (makina-states _scripts/boot-salt.sh), or --no-salt to provision without salt');
  }
  let script: string;
  try {
    script = await readFile(path, 'utf8');
  } catch (err) {
    throw new StepError(`cannot read the bootstrap script ${path}: ${(err as Error).message}`, 'check --bootsalt-script');
  }
  await ctx.session.writeFile(REMOTE_SCRIPT, script, { vm: ctx.vm, mode: '0755', signal: ctx.signal });
  // boot-salt.sh reads the master it attaches to from salt-cloud's minion file.
  const minion = `id: ${ctx.vm}\nmaster: ${ctx.v.master}\nmaster_port: ${ctx.v.master_port}\n`;
  await ctx.session.writeFile('/tmp/.saltcloud/minion', minion, { vm: ctx.vm, mode: '0600', signal: ctx.signal });
}

/** script_args is one string in the pillar; it reaches the script as separate words. */
export function scriptArgs(args: string): string[] {
  return args.split(/\s+/).filter(Boolean);
}
