import { UserError } from '../../core/errors.js';
import { KINDS, readLocalTextSync } from '../local-files.js';
import { bootScriptPath } from '../../core/defaults.js';
import { lastLine } from '../node-session.js';
import type { ExecResult } from '../transport.js';
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
    script = readLocalTextSync(path, KINDS.bootstrap);
  } catch (err) {
    if (err instanceof UserError) throw new StepError(err.message, err.hint ?? 'check --bootsalt-script');
    throw new StepError(`cannot read the bootstrap script ${path}: ${(err as Error).message}`, 'check --bootsalt-script');
  }
  return { path, script };
}

/** user:password lines for chpasswd, and the marker written once they are set */
export interface Passwords {
  lines: string;
  users: readonly string[];
  marker: string;
}

/** What the VM's shell says when the password part fails: told apart from the bootstrap's own failure. */
export const NO_CHPASSWD = 'lxc-wizard: no chpasswd';
const PASSWORDS_FAILED = 'lxc-wizard: setting the passwords failed';

/** Only the users that exist get a line; chpasswd reads them on stdin. `$1` is the marker. */
export const PASSWORDS_SH = [
  `command -v chpasswd >/dev/null 2>&1 || { echo "${NO_CHPASSWD}" >&2; exit 127; }`,
  // the marker only once chpasswd has said yes
  'while IFS= read -r l; do u=${l%%:*}; grep -q "^$u:" /etc/passwd && printf "%s\\n" "$l"; done | chpasswd && : > "$1"',
].join('\n');

/** A failure of the password part, in the words and with the hint of initial_setup. */
export function passwordsError(ctx: StepContext, r: ExecResult): StepError | undefined {
  if (r.stderr.includes(NO_CHPASSWD))
    return new StepError(
      `chpasswd is not available in ${ctx.vm}'s root filesystem, so its passwords cannot be set`,
      'use an image that has chpasswd (the passwd package), or set the passwords yourself and create /.initialspasses in the VM',
    );
  // chpasswd's own words, not our marker after them
  if (r.stderr.includes(PASSWORDS_FAILED))
    return new StepError(
      `setting the passwords failed in ${ctx.vm}: ${lastLine({ ...r, stderr: r.stderr.replace(PASSWORDS_FAILED, '') })}`,
    );
  return undefined;
}

const MASTER_UNRESOLVED = 'lxc-wizard: the master does not resolve';

/** runBootstrap's script in the VM (arguments and stdin as it documents). */
export const BOOTSTRAP_SH = [
  'set -e',
  'umask 022',
  's=$1; vm=$2; master=$3; port=$4; m=$5; c=$6; np=$7; nq=$8; nw=$9; shift 9; pm=$1; shift',
  // the minion must reach its master by this name: checked in the VM, before anything changes
  `case $master in *[!0-9.]*) if command -v getent >/dev/null 2>&1 && ! getent hosts "$master" >/dev/null 2>&1; then echo "${MASTER_UNRESOLVED}" >&2; exit 76; fi ;; esac`,
  `if [ "$nw" -gt 0 ]; then dd bs="$nw" count=1 iflag=fullblock status=none | sh -c '${PASSWORDS_SH.replaceAll("'", `'"'"'`)}' sh "$pm" || { [ $? -eq 127 ] && exit 127; echo "${PASSWORDS_FAILED}" >&2; exit 1; }; fi`,
  // the script and the marker are absolute paths (REMOTE_SCRIPT, the markers): their directories
  // by expansion, and umask switched rather than a subshell, so no process but the work's own
  '[ -d "${s%/*}" ] && [ -d /tmp/.saltcloud ] && [ -d "${m%/*}" ] || mkdir -p "${s%/*}" /tmp/.saltcloud "${m%/*}"',
  'if [ "$np" -gt 0 ]; then umask 077; dd bs="$np" count=1 iflag=fullblock status=none > /tmp/.saltcloud/minion.pem; umask 022; dd bs="$nq" count=1 iflag=fullblock status=none > /tmp/.saltcloud/minion.pub; fi',
  'cat > "$s.lxcw-tmp"; chmod 755 "$s.lxcw-tmp"; mv -f "$s.lxcw-tmp" "$s"',
  'umask 077; printf "id: %s\\nmaster: %s\\nmaster_port: %s\\n" "$vm" "$master" "$port" > /tmp/.saltcloud/minion; umask 022',
  '"$s" "$@"',
  'printf "%s\\n" "$c" > "$m"',
].join('\n');

/**
 * In one round trip: the passwords when given (PASSWORDS_SH, first: their failure stops it), the
 * minion keys (when given) and the minion settings the script reads in salt-cloud's
 * /tmp/.saltcloud (minion.pem 0600, minion.pub, minion: id, master and port), the script uploaded
 * and run with `args`, and on success `marker` written. Password lines, keys and script travel on
 * stdin, one after the other, their lengths as arguments: never in argv, never in the log.
 */
export async function runBootstrap(
  ctx: StepContext,
  args: string[],
  marker: { path: string; content: string },
  what: string,
  timeoutS: number,
  keys?: { pem: string; pub: string },
  passwords?: Passwords,
): Promise<void> {
  const { path, script } = await readScript(ctx);
  const pem = keys?.pem ?? '';
  const pub = keys?.pub ?? '';
  const pw = passwords?.lines ?? '';
  // Values, not file contents, travel as arguments; the files are composed inside the VM.

  await inVm(
    ctx,
    [
      'sh',
      '-c',
      BOOTSTRAP_SH,
      'sh',
      REMOTE_SCRIPT,
      ctx.vm,
      ctx.v.master,
      String(ctx.v.master_port),
      marker.path,
      marker.content,
      String(Buffer.byteLength(pem)),
      String(Buffer.byteLength(pub)),
      String(Buffer.byteLength(pw)),
      passwords?.marker ?? '',
      ...args,
    ],
    {
      stdin: pw + pem + pub + script,
      stdinNote: `${passwords ? `user:password lines for ${passwords.users.join(', ')} (secret), ` : ''}${keys ? 'the minion keys (secret), ' : ''}${Buffer.byteLength(script)} bytes of ${path}`,
      what,
      timeoutS,
      hint: 'the log file has the script output; fix the cause and run again',
      explain: (r) =>
        r.code === 76 && r.stderr.includes(MASTER_UNRESOLVED)
          ? new StepError(
              `the salt master ${ctx.v.master} does not resolve inside ${ctx.vm}: its minion could not reach it (nothing was run)`,
              `set makina-states.cloud.master (or master: in the entry) to a name or address the VMs reach (the bridge gateway ${ctx.v.gateway} when the controller is the node), or publish the name in their DNS`,
            )
          : passwordsError(ctx, r),
    },
  );
  if (passwords) ctx.session.noteFile(ctx.vm, passwords.marker, '');
  ctx.session.noteFile(ctx.vm, marker.path, marker.content + '\n');
}

/** script_args is one string in the pillar; it reaches the script as separate words. */
export function scriptArgs(args: string): string[] {
  return args.split(/\s+/).filter(Boolean);
}
