import type { RunEvent } from '../core/run-events.js';
import type { TaskName } from '../core/steps.js';
import { shJoin } from '../core/shell-quote.js';

/** --dry-run: the exact commands, per VM and step, in the order they would run. */
export class DryRunPlan {
  private readonly cmds = new Map<string, { node: string; steps: Map<TaskName, string[]> }>();
  private stepOf(vm: string, node: string, step: TaskName): string[] {
    const v = this.cmds.get(vm) ?? this.cmds.set(vm, { node, steps: new Map() }).get(vm)!;
    return v.steps.get(step) ?? v.steps.set(step, []).get(step)!;
  }
  readonly listener = (e: RunEvent) => {
    if (e.type === 'step' && e.state === 'running') this.stepOf(e.vm, e.node, e.step);
    else if (e.type === 'step' && (e.state === 'skipped' || e.state === 'already-done')) {
      this.stepOf(e.vm, e.node, e.step).push(`# ${e.state === 'skipped' ? `skipped: ${e.reason}` : 'already done'}`);
    } else if (e.type === 'command' && e.dryRun && e.vm && e.step) {
      this.stepOf(e.vm, e.node, e.step).push(shJoin(e.argv) + (e.stdin ? `   # stdin: ${e.stdin}` : ''));
    }
  };
  byVm(): Record<string, Record<string, string[]>> {
    return Object.fromEntries([...this.cmds].map(([vm, v]) => [vm, Object.fromEntries(v.steps)]));
  }
  text(): string {
    const out: string[] = [];
    for (const [vm, v] of this.cmds) {
      out.push(`# ${vm} on ${v.node}`);
      for (const [step, cmds] of v.steps)
        out.push(`## ${step}`, ...(cmds.length ? cmds : [step === 'preflight' ? '# reads only' : '# nothing to change']));
      out.push('');
    }
    return out.join('\n') + '(dry run: nothing was changed)';
  }
}
