import type { Finding } from './findings.js';

/**
 * What a pillar file says, independent of YAML: the reader (pillar-writer) builds it,
 * every rule in core reads it. Dotted keys are whole keys: nothing here splits on '.'.
 */
export const PILLAR_KEYS = {
  cloud: 'makina-states.cloud',
  lxc: 'makina-states.cloud.lxc',
  computeNode: 'makina-states.cloud.compute_node',
  /** the seed document's form: one map of VMs per compute node */
  targets: 'makina-states.services.cloud.lxc.targets.',
  /** the form the original code read (Form A), and per VM (Form B) `…vms.<cn>.<vm>` */
  vms: 'makina-states.cloud.lxc.vms.',
  saltify: 'makina-states.cloud.saltify.targets.',
  defaults: 'makina-states.cloud.lxc.defaults',
} as const;

export type KeyForm = 'targets' | 'vms' | 'flat';

export interface VmEntry {
  node: string;
  name: string;
  form: KeyForm;
  /** exactly the keys written in the pillar, values as YAML 1.1 reads them */
  keys: Record<string, unknown>;
  /** 1-based line of the VM's key */
  line: number;
  keyLines: Record<string, number>;
}

export interface NodeDecl {
  name: string;
  line: number;
  /** the VM key forms this node uses in the file, in order of appearance */
  forms: KeyForm[];
  saltify: boolean;
  /** the saltify target's own settings (password, ssh_keyfile…), when it is declared that way */
  saltifyTarget?: { keys: Record<string, unknown>; line: number };
}

/** A top-level key that configures the cloud (not a VM or node key), as written, with its line. */
export interface PillarSetting {
  key: string;
  value: unknown;
  line: number;
}

export interface PillarModel {
  file: string;
  nodes: Map<string, NodeDecl>;
  vms: VmEntry[];
  /** `default_env` and every `makina-states.cloud…` key that is not a VM or node key */
  settings: PillarSetting[];
  /** problems found while reading (ambiguous keys, duplicates across forms) */
  findings: Finding[];
}

export function emptyModel(file: string): PillarModel {
  return { file, nodes: new Map(), vms: [], settings: [], findings: [] };
}

export function vmsOfNode(model: PillarModel, node: string): VmEntry[] {
  return model.vms.filter((v) => v.node === node);
}

export function findVm(model: PillarModel, node: string, vm: string): VmEntry | undefined {
  return model.vms.find((v) => v.node === node && v.name === vm);
}

/** Generated values kept in the state store, per compute node then VM. */
export interface StoredVm {
  ip?: string;
  mac?: string;
  password?: string;
  ssh_reverse_proxy_port?: number;
  /** the pillar file whose entry first took these values */
  pillar?: string;
}
export type NodeState = Record<string, StoredVm>;
export type StoreSnapshot = ReadonlyMap<string, NodeState>;
