import { readFile } from 'node:fs/promises';
import { inVm, StepError, type StepContext } from './context.js';

export const REMOTE_SCRIPT = '/tmp/.lxc-wizard/boot-salt.sh';

async function readScript(ctx: StepContext): Promise<string> {
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
  return script;
}

/**
 * In one round trip: upload the script (on stdin), write the minion settings it reads (salt-cloud's
 * /tmp/.saltcloud/minion: master and port), run it with `args`, and on success write `marker`.
 */
export async function runBootstrap(ctx: StepContext, args: string[], marker: { path: string; content: string }, what: string, timeoutS: number): Promise<void> {
  const script = await readScript(ctx);
  const minion = `id: ${ctx.vm}\nmaster: ${ctx.v.master}\nmaster_port: ${ctx.v.master_port}\n`;
  const sh = [
    'set -e',
    'umask 022',
    'mkdir -p "$(dirname "$1")" /tmp/.saltcloud "$(dirname "$3")"',
    'cat > "$1.lxcw-tmp"; chmod 755 "$1.lxcw-tmp"; mv -f "$1.lxcw-tmp" "$1"',
    '(umask 077; printf "%s" "$2" > /tmp/.saltcloud/minion)',
    's=$1; m=$3; c=$4; shift 4',
    '"$s" "$@"',
    'printf "%s" "$c" > "$m"',
  ].join('\n');
  await inVm(ctx, ['sh', '-c', sh, 'sh', REMOTE_SCRIPT, minion, marker.path, marker.content, ...args], { stdin: script, stdinNote: `${Buffer.byteLength(script)} bytes of ${ctx.opts.bootsaltScript}`, what, timeoutS, hint: 'the log file has the script output; fix the cause and run again' });
  ctx.session.noteFile(ctx.vm, marker.path, marker.content);
}

/** script_args is one string in the pillar; it reaches the script as separate words. */
export function scriptArgs(args: string): string[] {
  return args.split(/\s+/).filter(Boolean);
}
