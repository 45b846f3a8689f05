import { inVm, readInVm, StepSkipped, type Step, type StepContext } from './step.js';
import { NO_CHPASSWD, PASSWORDS_SH, passwordsError, runBootstrap, scriptArgs, type Passwords } from './salt.js';

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
    let passwords: Passwords | undefined;
    if ((await readInVm(ctx, PASSWORD_MARKER)) === undefined) {
      const users = [...new Set([...v.users, v.ssh_username, 'root'])];
      ctx.progress(`setting the password of the users among ${users.join(', ')}`);
      passwords = { lines: users.map((u) => `${u}:${v.password}`).join('\n') + '\n', users, marker: PASSWORD_MARKER };
    }
    if (ctx.opts.noSalt) {
      if (passwords) await setPasswords(ctx, passwords);
      ctx.progress('salt bootstrap skipped (--no-salt)');
      return;
    }
    ctx.progress(`boot-salt.sh ${v.script_args}`);
    // The minion keys salt-cloud would put in /tmp/.saltcloud: accepted on the master at spawn.
    const keys = await ctx.opts.controller?.minionKeys(ctx.vm, v.mode, ctx.dryRun);
    // the passwords and the bootstrap in one round trip
    await runBootstrap(
      ctx,
      scriptArgs(v.script_args),
      { path: BOOTSTRAP_MARKER, content: v.script_args },
      'the salt bootstrap (boot-salt.sh)',
      3600,
      keys,
      passwords,
    );
    if (keys && !ctx.dryRun) await ctx.opts.controller!.keysDelivered(ctx.vm);
  },
};

/**
 * The passwords alone (--no-salt): chpasswd, the lines on stdin, then the marker. An image with no
 * chpasswd (busybox) gets no password: said as the step skipped, not as a failure that would
 * stop the run before it checks whether the VM can be reached.
 */
async function setPasswords(ctx: StepContext, p: Passwords): Promise<void> {
  await inVm(ctx, ['sh', '-c', PASSWORDS_SH, 'sh', p.marker], {
    stdin: p.lines,
    stdinNote: `user:password lines for ${p.users.join(', ')} (secret)`,
    timeoutS: 60,
    what: 'setting the passwords',
    explain: (r) => {
      const e = passwordsError(ctx, r);
      if (e && r.stderr.includes(NO_CHPASSWD)) throw new StepSkipped('no chpasswd in the image: the password shown is not set');
      return e;
    },
  });
  ctx.session.noteFile(ctx.vm, p.marker, '');
}
