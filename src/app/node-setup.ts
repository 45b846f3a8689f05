import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { MODES } from '../core/defaults.js';
import { UserError } from '../core/errors.js';
import { resolveNodeSettings } from '../core/node-settings.js';
import type { BridgeSpec, NodeSetupSpec, OriginSource } from '../engine/node-setup.js';
import type { Loaded, Workspace } from './workspace.js';

export interface NodeSetupFlags {
  /** --origin-template, --origin-release: how to make an origin the controller has no copy of */
  originTemplate?: { template: string; release?: string };
  sshPublicKeys: string[];
  /** the controller's lxcpath, where its own copies of origins would be */
  controllerLxcPath: string;
}

/**
 * What node setup makes on each node, from the pillar: the bridge, gateway and network of the
 * node's defaults (and every other bridge its VMs name, with their network), the registry of the cloud's mode, and every origin the node's clone entries need.
 */
export function nodeSetupSpecs(ws: Workspace, loaded: Loaded, nodes: string[], f: NodeSetupFlags): Map<string, NodeSetupSpec> {
  const { model } = loaded.file;
  const d = loaded.rd.defaults;
  const out = new Map<string, NodeSetupSpec>();
  for (const node of nodes) {
    const settings = resolveNodeSettings(model, node, loaded.rd, ws.settings, loaded.store.get(node) ?? {});
    const origins = [
      ...new Set(settings.filter((s) => s.type.install === 'clone').map((s) => String(s.fields.from_container!.value))),
    ].sort();
    // a VM on its own bridge (bridge: in its entry) gets it too, with its network: preflight
    // refuses a VM whose bridge is missing, and says node setup makes it
    const extraBridges = new Map<string, BridgeSpec>();
    for (const s of settings) {
      const v = (k: string) => s.fields[k]?.value;
      const bridge = String(v('bridge'));
      if (bridge === d.bridge || extraBridges.has(bridge)) continue;
      extraBridges.set(bridge, { bridge, gateway: String(v('gateway')), netmask: Number(v('netmask')), network: String(v('network')) });
    }
    out.set(node, {
      bridge: d.bridge,
      ...(extraBridges.size ? { extraBridges: [...extraBridges.values()].sort((a, b) => a.bridge.localeCompare(b.bridge)) } : {}),
      gateway: d.gateway,
      netmask: d.netmask,
      network: d.network,
      useBridge: d.use_bridge,
      registryDir: `${MODES[d.mode].config}/makina-states`,
      origins,
      ...(f.originTemplate ? { originTemplate: f.originTemplate } : {}),
      sshPublicKeys: f.sshPublicKeys,
      // localhost is the controller: what it has is already there
      originSource: node === 'localhost' ? undefined : (name) => Promise.resolve(controllerOrigin(f.controllerLxcPath, name)),
    });
  }
  if (d.networkProblem) {
    throw new UserError(`the default network ${d.networkProblem}; node setup would make a wrong bridge`, {
      where: { file: model.file },
      hint: 'fix network, netmask and gateway in the pillar first (lxc-wizard validate)',
    });
  }
  return out;
}

/** The controller's own container of that name, streamed as a tar (the original's image sync, over SSH). */
export function controllerOrigin(lxcPath: string, name: string): OriginSource | undefined {
  const dir = `${lxcPath}/${name}`;
  if (!existsSync(`${dir}/config`) || !existsSync(`${dir}/rootfs`)) return undefined;
  return {
    what: `the controller's ${dir}`,
    lxcPath,
    stream: () => {
      const tar = spawn('tar', ['-C', dir, '--numeric-owner', '--xattrs', '--acls', '-cpf', '-', '.'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      return tar.stdout;
    },
  };
}
