import type { Mode } from '../core/defaults.js';
import type { Backing, InstallMode } from '../core/profile-types.js';
import type { SizeName } from '../core/sizes.js';

export type ScreenId = 'node' | 'name' | 'backing' | 'install' | 'size' | 'mode' | 'advanced' | 'review' | 'run' | 'result';

/** A compute node the operator can pick: from the pillar (targets, saltify) or localhost. */
export interface NodeChoice {
  name: string;
  vmCount: number;
}

/** What reaching a node in the background found: helps choose backing and origin. */
export interface NodeProbe {
  state: 'probing' | 'ok' | 'error';
  error?: string;
  lxcVersion?: string;
  freeKb?: number;
  /** stopped containers: possible origins for a clone */
  stopped: string[];
  volumeGroups: string[];
}

export interface Advanced {
  ip?: string;
  mac?: string;
  password?: string;
  branch?: string;
  snapshot?: boolean;
  autostart?: boolean;
}

export interface Answers {
  node?: string;
  name?: string;
  backing?: Backing;
  install?: InstallMode;
  origin?: string;
  image?: string;
  size?: SizeName;
  mode?: Mode;
  advancedOpen: boolean;
  advanced: Advanced;
}

export interface WizardState {
  screen: ScreenId;
  answers: Answers;
  /** screens visited, for Esc */
  history: ScreenId[];
}

export interface Choice<T extends string = string> {
  value: T;
  label: string;
  /** why the node cannot serve it; a disabled choice cannot be picked */
  disabled?: string;
}
