import type { RunListener } from '../core/run-events.js';
import { withoutFetch } from '../ui/without-fetch.js';
import { NODE_SETUP, NODE_TASKS, selectStepNames, type StepName } from '../core/steps.js';
import { runLines } from '../ui/run-lines.js';
import { flag } from './options.js';
import type { CommandInput } from './types.js';

/** Where a run's progress goes: a live tree on a terminal, lines that name their VM everywhere else. */
export interface RunView {
  listener: RunListener;
  /** a message during the run (Ctrl-C…), where the view shows it */
  say(line: string): void;
  /** the run ended: the tree's last frame stays, with the log path when something failed */
  end(logFile: string | undefined): Promise<void>;
}

/** The rows of a run, in order: each node's setup (when asked) first, then its VMs. */
export function runRows(
  vms: { node: string; name: string }[],
  setupNodes: string[],
  only?: StepName[],
  from?: StepName,
): { node: string; vm: string; steps: readonly string[] }[] {
  const steps = selectStepNames(only, from);
  const nodes = [...new Set([...setupNodes, ...vms.map((v) => v.node)])];
  return nodes.flatMap((node) => [
    ...(setupNodes.includes(node) ? [{ node, vm: NODE_SETUP, steps: NODE_TASKS }] : []),
    ...vms.filter((v) => v.node === node).map((v) => ({ node, vm: v.name, steps })),
  ]);
}

/**
 * The live tree (Ink, on stderr) when stderr is a terminal, CI is not set, TERM is not dumb and
 * --plain was not given; otherwise line output: no escape codes, every line prefixed by its VM.
 */
export async function runView(input: CommandInput, rows: ReturnType<typeof runRows>, dryRun: boolean): Promise<RunView> {
  const env = input.io.env;
  const live = input.io.stderrIsTTY && !env.CI && env.TERM !== 'dumb' && !flag(input, 'plain') && !dryRun;
  if (!live) {
    const say = (l: string) => input.out.info(l);
    return { listener: runLines(say), say, end: async () => undefined };
  }
  const [{ TreeStore }, { mountRunTree }] = await Promise.all([
    import('../ui/tree-store.js'),
    withoutFetch(() => import('../ui/RunTree.js')),
  ]);
  const store = new TreeStore(rows);
  const tree = await mountRunTree(store);
  return {
    listener: store.listener,
    say: (l) => store.note(l.trim()),
    end: async (logFile) => {
      store.end(logFile);
      await tree.unmount();
    },
  };
}
