import { inVm, readInVm, StepError, type Step } from './context.js';
import { REMOTE_SCRIPT, scriptArgs, uploadBootstrap } from './salt.js';

export const PASSWORD_MARKER = '/.initialspasses';
export const BOOTSTRAP_MARKER = '/etc/makina-states/lxc-wizard-bootsalt';

/** Passwords of the users that exist (chpasswd on stdin), then the salt bootstrap. */
export const initialSetup: Step = {
  name: 'initial_setup',
  title: 'initial_setup',
  async check(ctx) {
    const pw = (await readInVm(ctx, PASSWORD_MARKER)) !== undefined;
    const boot = ctx.opts.noSalt || (await readInVm(ctx, BOOTSTRAP_MARKER)) !== undefined;
    return pw && boot;
  },
  async apply(ctx) {
    const { v } = ctx;
    if ((await readInVm(ctx, PASSWORD_MARKER)) === undefined) {
      const probe = await ctx.session.query(
        ['lxc-attach', '-n', ctx.vm, '--clear-env', '--set-var', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', '--', 'sh', '-c', 'command -v chpasswd >/dev/null 2>&1 || exit 127; cut -d: -f1 /etc/passwd'],
        { timeoutS: 30, signal: ctx.signal },
      );
      if (probe.code === 127 || (ctx.opts.dryRun && probe.code !== 0)) {
        if (!ctx.opts.dryRun) {
          throw new StepError(`chpasswd is not available in ${ctx.vm}'s root filesystem, so its passwords cannot be set`, 'use an image that has chpasswd (the passwd package), or set the passwords yourself and create /.initialspasses in the VM');
        }
      } else if (probe.code !== 0) {
        throw new StepError(`cannot list the users of ${ctx.vm}: ${probe.stderr.trim().split('\n').at(-1) ?? probe.code}`);
      }
      const present = new Set(probe.stdout.split('\n').map((l) => l.trim()));
      const users = [...new Set([...v.users, v.ssh_username, 'root'])].filter((u) => ctx.opts.dryRun || present.has(u));
      ctx.progress(`setting the password of ${users.join(', ')}`);
      await inVm(ctx, ['chpasswd'], { stdin: users.map((u) => `${u}:${v.password}`).join('\n') + '\n', stdinNote: `user:password lines for ${users.join(', ')} (secret)`, what: 'chpasswd', timeoutS: 60 });
      await inVm(ctx, ['touch', PASSWORD_MARKER], { what: `creating ${PASSWORD_MARKER}`, timeoutS: 30 });
    }
    if (ctx.opts.noSalt) {
      ctx.progress('salt bootstrap skipped (--no-salt)');
      return;
    }
    await uploadBootstrap(ctx);
    ctx.progress(`boot-salt.sh ${v.script_args}`);
    await inVm(ctx, [REMOTE_SCRIPT, ...scriptArgs(v.script_args)], { what: 'the salt bootstrap (boot-salt.sh)', timeoutS: 3600, hint: 'the log file has the script output; fix the cause and run again' });
    await inVm(ctx, ['sh', '-c', 'mkdir -p "$(dirname "$1")" && touch "$1"', 'sh', BOOTSTRAP_MARKER], { what: `creating ${BOOTSTRAP_MARKER}`, timeoutS: 30 });
  },
};
