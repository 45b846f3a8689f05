import type { RunEvent } from '../core/run-events.js';
import type { NodeChoice, NodeProbe } from './types.js';

export interface Preview {
  profile: string;
  /** resolved settings, password hidden */
  settings: Record<string, unknown>;
  warnings: string[];
  errors: string[];
  diff: string;
}

export interface ExistingVm {
  node: string;
  line: number;
  keys: Record<string, unknown>;
}

/**
 * What the wizard needs from the world. The command layer implements it over pillar-writer and
 * the engine; tests implement it in memory. Screens never touch files or SSH themselves.
 */
export interface WizardServices {
  pillarPath: string;
  env: 'prod' | 'dev';
  defaults: { mode: 'salt' | 'mastersalt'; origin: string; image: string; branch: string };
  nodes(): NodeChoice[];
  existing(name: string): ExistingVm | undefined;
  probe(node: string): Promise<NodeProbe>;
  nextFreeIp(node: string): string | undefined;
  preview(node: string, vm: string, entry: Record<string, unknown>): Preview;
  /** write the entry (allocating generated values); throws a UserError on refusal */
  write(node: string, vm: string, entry: Record<string, unknown>): Promise<void>;
  /** run the steps for one VM; events feed the run view */
  run(
    node: string,
    vm: string,
    onEvent: (e: RunEvent) => void,
    signal: AbortSignal,
    opts: { only?: string[] },
  ): Promise<{ ok: boolean; logFile: string }>;
  /** the resulting settings, secrets included (the result screen hides them until asked) */
  settings(node: string, vm: string): Record<string, unknown>;
  rememberAdvanced(open: boolean): void;
}
