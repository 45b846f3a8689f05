import { readInVm, type Step } from './step.js';
import { runBootstrap } from './salt.js';

export const HIGHSTATE_MARKER = '/etc/makina-states/initial_highstate';

/** boot-salt.sh --initial-highstate, once: the conf file holding 1 says it was done. */
export const initialHighstate: Step = {
  name: 'initial_highstate',
  async check(ctx) {
    if (ctx.opts.noSalt) return '--no-salt';
    return (await readInVm(ctx, HIGHSTATE_MARKER))?.trim() === '1';
  },
  async apply(ctx) {
    ctx.progress('boot-salt.sh --initial-highstate');
    // The script is uploaded again: /tmp may have been emptied by a reboot since initial_setup.
    await runBootstrap(
      ctx,
      ['--initial-highstate'],
      { path: HIGHSTATE_MARKER, content: '1' },
      'the initial highstate (boot-salt.sh --initial-highstate)',
      5 * 3600,
    );
  },
};
