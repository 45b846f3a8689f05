import { execFileSync } from 'node:child_process';
import { netPaths } from '../engine/node-net.js';
import { KINDS, readLocalFileSync } from '../engine/local-files.js';
import { controllerSide } from './controller-side.js';
import { publicKeys, transportFactory, wayInContext, type ReachOptions } from './node-access.js';
import { nodeSetupSpecs } from './node-setup.js';
import type { ProvisionOptions, RunSelection } from './provision.js';
import type { Loaded, Workspace } from './workspace.js';

/** The run flags the front ends turn into typed options (`--yes`, `node setup`, the wizard). */
export interface RunFlags extends RunSelection {
  sshPublicKeyFiles?: string[];
  masterPki?: string;
  originTemplate?: { template: string; release?: string };
}

/** The controller's lxcpath (lxc-config), where its own copies of origin containers are. */
export function localLxcPath(): string {
  try {
    return (
      execFileSync('lxc-config', ['lxc.lxcpath'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }).trim() ||
      '/var/lib/lxc'
    );
  } catch {
    return '/var/lib/lxc';
  }
}

/** Everything a provisioning run needs, from the flags, the workspace and how nodes are reached. */
export async function provisionOptions(
  ws: Workspace,
  loaded: Loaded,
  reach: ReachOptions,
  f: RunFlags,
  setupNodes: string[],
  signal: AbortSignal,
): Promise<ProvisionOptions> {
  const sshPublicKeys = await publicKeys(f.sshPublicKeyFiles, reach.home);
  // the script is uploaded to every VM: checked now, not found to be a FIFO or 300 MB at the first VM
  if (f.bootsaltScript) readLocalFileSync(f.bootsaltScript, KINDS.bootstrap);
  return {
    dryRun: f.dryRun,
    ...(f.only ? { only: f.only } : {}),
    ...(f.from ? { from: f.from } : {}),
    concurrency: f.concurrency,
    noSalt: f.noSalt,
    ...(f.adopt ? { adopt: true } : {}),
    ...(f.bootsaltScript ? { bootsaltScript: f.bootsaltScript } : {}),
    sshPublicKeys,
    ...(f.logPath ? { logPath: f.logPath } : {}),
    stateHome: reach.stateHome,
    transport: transportFactory(reach, undefined, passwordsOf(loaded)),
    net: netPaths(reach.instance),
    wayIn: (node) => wayInContext(reach, node, { forwarded: false, ...(f.sshPublicKeyFiles ? { pubkeyFiles: f.sshPublicKeyFiles } : {}) }),
    listeners: [],
    signal,
    controller: controllerSide({ storeDir: ws.store.dir, env: process.env, ...(f.masterPki ? { masterPki: f.masterPki } : {}) }),
    ...(setupNodes.length
      ? {
          setup: nodeSetupSpecs(ws, loaded, setupNodes, {
            sshPublicKeys,
            controllerLxcPath: localLxcPath(),
            ...(f.originTemplate ? { originTemplate: f.originTemplate } : {}),
          }),
        }
      : {}),
  };
}

/** A saltify target's password logs in to its node the first time; node setup then installs the key. */
export function passwordsOf(loaded: Loaded): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of loaded.file.model.nodes.values()) {
    const pw = n.saltifyTarget?.keys.password;
    if (typeof pw === 'string' && pw) out.set(n.name, pw);
  }
  return out;
}
