import { lastLine, NodeSession } from '../node-session.js';
import { readInVm, StepError, type Step } from './step.js';
import { runBootstrap, scriptArgs } from './salt.js';

export const PASSWORD_MARKER = '/.initialspasses';
export const BOOTSTRAP_MARKER = '/etc/makina-states/lxc-wizard-bootsalt';

/** Passwords of the users that exist (chpasswd on stdin), then the salt bootstrap. */
export const initialSetup: Step = {
  name: 'initial_setup',
  async check(ctx) {
    const pw = (await readInVm(ctx, PASSWORD_MARKER)) !== undefined;
    const boot = ctx.opts.noSalt || (await readInVm(ctx, BOOTSTRAP_MARKER)) !== undefined;
    return pw && boot;
  },
  async apply(ctx) {
    const { v } = ctx;
    if ((await readInVm(ctx, PASSWORD_MARKER)) === undefined) {
      const users = [...new Set([...v.users, v.ssh_username, 'root'])];
      ctx.progress(`setting the password of the users among ${users.join(', ')}`);
      // One round trip: only the users that exist get a line; chpasswd reads them on stdin.
      const sh = [
        'command -v chpasswd >/dev/null 2>&1 || exit 127',
        'while IFS= read -r l; do u=${l%%:*}; grep -q "^$u:" /etc/passwd && printf "%s\\n" "$l"; done | chpasswd',
        ': > "$1"',
      ].join('\n');
      const r = await ctx.session.change(NodeSession.attach(ctx.vm, ['sh', '-c', sh, 'sh', PASSWORD_MARKER]), {
        stdin: users.map((u) => `${u}:${v.password}`).join('\n') + '\n',
        stdinNote: `user:password lines for ${users.join(', ')} (secret)`,
        timeoutS: 60,
        signal: ctx.signal,
      });
      if (r.code === 127) {
        throw new StepError(
          `chpasswd is not available in ${ctx.vm}'s root filesystem, so its passwords cannot be set`,
          'use an image that has chpasswd (the passwd package), or set the passwords yourself and create /.initialspasses in the VM',
        );
      }
      if (r.code !== 0) throw new StepError(`setting the passwords failed in ${ctx.vm}: ${lastLine(r)}`);
      ctx.session.noteFile(ctx.vm, PASSWORD_MARKER, '');
    }
    if (ctx.opts.noSalt) {
      ctx.progress('salt bootstrap skipped (--no-salt)');
      return;
    }
    ctx.progress(`boot-salt.sh ${v.script_args}`);
    // The minion keys salt-cloud would put in /tmp/.saltcloud: accepted on the master at spawn.
    const keys = await ctx.opts.controller?.minionKeys(ctx.vm, v.mode, ctx.dryRun);
    await runBootstrap(
      ctx,
      scriptArgs(v.script_args),
      { path: BOOTSTRAP_MARKER, content: v.script_args },
      'the salt bootstrap (boot-salt.sh)',
      3600,
      keys,
    );
    if (keys && !ctx.dryRun) await ctx.opts.controller!.keysDelivered(ctx.vm);
  },
};
