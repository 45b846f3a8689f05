import { readFile } from 'node:fs/promises';
import { inVm, StepError, type StepContext } from './step.js';

export const REMOTE_SCRIPT = '/tmp/.lxc-wizard/boot-salt.sh';

async function readScript(ctx: StepContext): Promise<string> {
  const path = ctx.opts.bootsaltScript;
  if (!path) {
    throw new StepError(
      'the salt bootstrap needs a bootstrap script, and none was given',
      'pass --bootsalt-script PATH (makina-states _scripts/boot-salt.sh), or --no-salt to provision without salt',
    );
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
export async function runBootstrap(
  ctx: StepContext,
  args: string[],
  marker: { path: string; content: string },
  what: string,
  timeoutS: number,
): Promise<void> {
  const script = await readScript(ctx);
  // Values, not file contents, travel as arguments; the files are composed inside the VM.
  const sh = [
    'set -e',
    'umask 022',
    's=$1; vm=$2; master=$3; port=$4; m=$5; c=$6; shift 6',
    'mkdir -p "$(dirname "$s")" /tmp/.saltcloud "$(dirname "$m")"',
    'cat > "$s.lxcw-tmp"; chmod 755 "$s.lxcw-tmp"; mv -f "$s.lxcw-tmp" "$s"',
    '(umask 077; printf "id: %s\\nmaster: %s\\nmaster_port: %s\\n" "$vm" "$master" "$port" > /tmp/.saltcloud/minion)',
    '"$s" "$@"',
    'printf "%s\\n" "$c" > "$m"',
  ].join('\n');
  await inVm(
    ctx,
    ['sh', '-c', sh, 'sh', REMOTE_SCRIPT, ctx.vm, ctx.v.master, String(ctx.v.master_port), marker.path, marker.content, ...args],
    {
      stdin: script,
      stdinNote: `${Buffer.byteLength(script)} bytes of ${ctx.opts.bootsaltScript}`,
      what,
      timeoutS,
      hint: 'the log file has the script output; fix the cause and run again',
    },
  );
  ctx.session.noteFile(ctx.vm, marker.path, marker.content + '\n');
}

/** script_args is one string in the pillar; it reaches the script as separate words. */
export function scriptArgs(args: string): string[] {
  return args.split(/\s+/).filter(Boolean);
}
