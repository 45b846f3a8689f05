import { readFile } from 'node:fs/promises';
import { bootScriptPath } from '../../core/defaults.js';
import { inVm, StepError, type StepContext } from './step.js';

export const REMOTE_SCRIPT = '/tmp/.lxc-wizard/boot-salt.sh';

/** --bootsalt-script, else the controller's makina-states checkout's boot-salt.sh for the VM's mode. */
export function bootstrapPath(ctx: StepContext): string | undefined {
  return ctx.opts.bootsaltScript ?? ctx.opts.controller?.bootstrapScript(ctx.v.mode);
}

async function readScript(ctx: StepContext): Promise<{ path: string; script: string }> {
  const path = bootstrapPath(ctx);
  if (!path) {
    throw new StepError(
      `the salt bootstrap needs boot-salt.sh, and there is none: no --bootsalt-script, and no ${bootScriptPath(ctx.v.mode)} on this controller`,
      'pass --bootsalt-script PATH (makina-states _scripts/boot-salt.sh), or --no-salt to provision without salt',
    );
  }
  let script: string;
  try {
    script = await readFile(path, 'utf8');
  } catch (err) {
    throw new StepError(`cannot read the bootstrap script ${path}: ${(err as Error).message}`, 'check --bootsalt-script');
  }
  return { path, script };
}

/**
 * In one round trip: put the minion keys (when given) and the minion settings the script reads in
 * salt-cloud's /tmp/.saltcloud (minion.pem 0600, minion.pub, minion: id, master and port), upload
 * the script, run it with `args`, and on success write `marker`. Keys and script travel on stdin,
 * one after the other, their lengths as arguments: never in argv, never in the log.
 */
export async function runBootstrap(
  ctx: StepContext,
  args: string[],
  marker: { path: string; content: string },
  what: string,
  timeoutS: number,
  keys?: { pem: string; pub: string },
): Promise<void> {
  const { path, script } = await readScript(ctx);
  const pem = keys?.pem ?? '';
  const pub = keys?.pub ?? '';
  // Values, not file contents, travel as arguments; the files are composed inside the VM.
  const sh = [
    'set -e',
    'umask 022',
    's=$1; vm=$2; master=$3; port=$4; m=$5; c=$6; np=$7; nq=$8; shift 8',
    'mkdir -p "$(dirname "$s")" /tmp/.saltcloud "$(dirname "$m")"',
    'if [ "$np" -gt 0 ]; then (umask 077; dd bs="$np" count=1 iflag=fullblock status=none > /tmp/.saltcloud/minion.pem); dd bs="$nq" count=1 iflag=fullblock status=none > /tmp/.saltcloud/minion.pub; fi',
    'cat > "$s.lxcw-tmp"; chmod 755 "$s.lxcw-tmp"; mv -f "$s.lxcw-tmp" "$s"',
    '(umask 077; printf "id: %s\\nmaster: %s\\nmaster_port: %s\\n" "$vm" "$master" "$port" > /tmp/.saltcloud/minion)',
    '"$s" "$@"',
    'printf "%s\\n" "$c" > "$m"',
  ].join('\n');
  await inVm(
    ctx,
    [
      'sh',
      '-c',
      sh,
      'sh',
      REMOTE_SCRIPT,
      ctx.vm,
      ctx.v.master,
      String(ctx.v.master_port),
      marker.path,
      marker.content,
      String(Buffer.byteLength(pem)),
      String(Buffer.byteLength(pub)),
      ...args,
    ],
    {
      stdin: pem + pub + script,
      stdinNote: `${keys ? 'the minion keys (secret), then ' : ''}${Buffer.byteLength(script)} bytes of ${path}`,
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
