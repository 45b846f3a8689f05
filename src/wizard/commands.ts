import { addFlags } from '../core/entry.js';
import { shJoin } from '../core/shell-quote.js';
import { choicesOf } from './answers.js';
import type { WizardServices } from './services.js';
import type { WizardState } from './types.js';

export interface EquivalentCommand {
  argv: string[];
  /** the command as a shell line, every argument quoted where it must be */
  line: string;
  note?: string;
}

/**
 * The same, without the wizard: `add` with every answer that differs from a default (what the
 * wizard wrote, byte for byte), then the run with the flags the wizard ran with. A re-run of an
 * existing VM wrote nothing: the run alone.
 */
export function equivalentCommands(
  s: WizardState,
  services: Pick<WizardServices, 'pillarPath' | 'defaults' | 'commandArgs'>,
): EquivalentCommand[] {
  const a = s.answers;
  if (!a.node || !a.name) return [];
  const out: EquivalentCommand[] = [];
  const ctx = services.commandArgs.context;
  // a re-run of an existing VM wrote nothing: only the run is its equivalent
  const rerun = s.existing !== undefined && !s.editing;
  if (a.backing && a.install && !rerun) {
    const choices = choicesOf(a, services.defaults, s.editing ? s.existing?.vm.keys : undefined);
    const argv = [
      'lxc-wizard',
      'add',
      a.node,
      a.name,
      '--pillar',
      services.pillarPath,
      ...ctx,
      ...(s.editing ? ['--update'] : []),
      ...addFlags(choices),
    ];
    out.push({
      argv,
      line: shJoin(argv),
      ...(choices.password !== undefined ? { note: 'FILE: a file holding the password you typed (a password never goes in argv)' } : {}),
    });
  }
  const run = ['lxc-wizard', '--yes', '--pillar', services.pillarPath, ...ctx, '--vm', a.name, ...services.commandArgs.run];
  if (a.noSalt && !run.includes('--no-salt')) run.push('--no-salt');
  if (a.adopt) run.push('--adopt');
  out.push({ argv: run, line: shJoin(run) });
  return out;
}
