import { ipPlacementProblem, vmNet } from './allocation.js';
import { resolveDefaults, type Env, type ResolvedDefaults } from './defaults.js';
import { ENTRY_KEYS, FIELDS, fieldProblem } from './fields.js';
import { sortFindings, type Finding } from './findings.js';
import { formatIPv4, parseIPv4 } from './ipv4.js';
import type { NodeDecl, PillarModel, StoreSnapshot, VmEntry } from './model.js';
import { didYouMean, fqdnProblem, hostnameProblem, tldTypo } from './naming.js';
import { parseProfileType, PROFILE_TYPE_NAMES, PROFILE_TYPES } from './profile-types.js';
import { DEFAULT_SIZE } from './sizes.js';
import { printable } from './printable.js';
import { profileName } from './naming.js';

/**
 * Every rule the original left to documentation, each finding located at file:line with a hint.
 * Errors stop writes and runs; warnings are shown.
 */
export interface ValidateOptions {
  /** salt-cloud profile names written by `controller setup` (or by hand) that a verbatim profile: may name */
  knownProfiles?: ReadonlySet<string>;
}

export function validatePillar(
  model: PillarModel,
  env: Env | undefined,
  store: StoreSnapshot = new Map(),
  rd: ResolvedDefaults = resolveDefaults(model, env),
  opts: ValidateOptions = {},
): Finding[] {
  const findings: Finding[] = [...model.findings, ...rd.findings];
  const file = model.file;
  const sizes = rd.defaults.sizes;
  const sizeNames = Object.keys(sizes);
  const isSize = (v: unknown): v is string => typeof v === 'string' && Object.hasOwn(sizes, v);

  for (const node of model.nodes.values()) {
    const p = hostnameProblem(node.name);
    if (p)
      findings.push({
        severity: 'error',
        code: 'bad-node-name',
        message: `compute node id '${printable(node.name)}' ${p}`,
        where: { file, line: node.line },
        node: node.name,
        hint: 'compute node ids are minion ids: lower-case host names',
      });
    findings.push(...saltifyFindings(file, node));
  }

  const seen = new Map<string, VmEntry>();
  for (const e of model.vms) {
    const add = (f: Omit<Finding, 'where' | 'node' | 'vm'> & { key?: string }) => {
      const line = f.key !== undefined ? (e.keyLines[f.key] ?? e.line) : e.line;
      const { key, ...rest } = f;
      findings.push({ ...rest, where: { file, line, ...(key ? { field: key } : {}) }, node: e.node, vm: e.name });
    };
    const nameProblem = fqdnProblem(e.name);
    if (nameProblem) {
      add({
        severity: 'error',
        code: 'bad-name',
        message: `VM name '${printable(e.name)}' ${nameProblem}`,
        hint: 'the name is the container name and minion id: a lower-case FQDN such as web01.example.com',
      });
    } else {
      const typo = tldTypo(e.name);
      if (typo)
        add({
          severity: 'warning',
          code: 'tld-typo',
          message: `VM name '${e.name}' ends in an unusual top-level domain`,
          hint: `did you mean '.${typo}'?`,
        });
    }
    const first = seen.get(e.name);
    if (first) {
      add({
        severity: 'error',
        code: 'duplicate-name',
        message: `VM '${e.name}' is already defined on ${first.node} at line ${first.line}`,
        hint: 'VM names are minion ids and must be unique across all compute nodes',
      });
    } else seen.set(e.name, e);

    for (const [key, value] of Object.entries(e.keys)) {
      const spec = FIELDS[key];
      if (!spec || !spec.entry) {
        const guess = didYouMean(key, ENTRY_KEYS);
        add({
          severity: 'warning',
          code: 'unknown-key',
          key,
          message: `unknown key '${key}' is kept but not used by lxc-wizard`,
          hint: guess ? `did you mean '${guess}'?` : 'check the spelling against the README',
        });
        continue;
      }
      const p = fieldProblem(key, value);
      if (p) add({ severity: 'error', code: 'bad-value', key, message: `${key} ${p}`, hint: hintFor(key) });
    }

    const pt = parseProfileType(e.keys.profile_type);
    if (pt.aliasOf)
      add({
        severity: 'warning',
        code: 'profile-type-alias',
        key: 'profile_type',
        message: `profile_type '${pt.aliasOf}' is read as '${pt.type}'`,
        hint: `write profile_type: ${pt.type}`,
      });
    const type = PROFILE_TYPES[pt.type ?? rd.defaults.profile_type];
    const sizeGiven = isSize(e.keys.profile) ? 'profile' : e.keys.size !== undefined ? 'size' : undefined;
    if (typeof e.keys.size === 'string' && !isSize(e.keys.size) && !/^[1-9][0-9]*(\.[0-9]+)?[kmgt]$/i.test(e.keys.size)) {
      add({
        severity: 'error',
        code: 'bad-value',
        key: 'size',
        message: `size ${e.keys.size} is neither a size name nor a size like 12g`,
        hint: `one of ${sizeNames.join(', ')}`,
      });
    }
    if (sizeGiven && !type.sized) {
      add({
        severity: 'warning',
        code: 'size-ignored',
        key: sizeGiven,
        message: `${sizeGiven}: ${String(e.keys[sizeGiven])} is ignored: sizes apply to LVM types only and this VM is ${type.name}`,
        hint: 'remove it, or use profile_type lvm or lvm-scratch',
      });
    }
    if (typeof e.keys.profile === 'string' && !isSize(e.keys.profile)) {
      const guess = didYouMean(e.keys.profile, sizeNames, 2);
      const generated = new Set(
        PROFILE_TYPE_NAMES.flatMap((t) =>
          PROFILE_TYPES[t].sized ? sizeNames.map((z) => profileName(e.node, t, z)) : [profileName(e.node, t, DEFAULT_SIZE)],
        ),
      );
      if (!guess && !generated.has(e.keys.profile) && !opts.knownProfiles?.has(e.keys.profile)) {
        add({
          severity: 'warning',
          code: 'profile-unknown',
          key: 'profile',
          message: `profile '${e.keys.profile}' is not a size name, so it is a salt-cloud profile name used verbatim, and no profile of that name is generated for ${e.node} or written in the profiles files`,
          hint: `use a size name (${sizeNames.slice(5, 8).join(', ')}…), or write the profile (lxc-wizard controller setup writes the generated ones)`,
        });
      }
      if (guess)
        add({
          severity: 'warning',
          code: 'profile-verbatim',
          key: 'profile',
          message: `profile '${e.keys.profile}' is not a size name, so it is used verbatim as a salt-cloud profile name`,
          hint: `did you mean the size '${guess}'?`,
        });
    }
    if (e.keys.backing !== undefined && e.keys.backing !== type.backing) {
      add({
        severity: 'warning',
        code: 'backing-ignored',
        key: 'backing',
        message: `backing: ${String(e.keys.backing)} is ignored: profile_type ${type.name} uses ${type.backing}`,
        hint: `remove backing:, or choose a ${String(e.keys.backing)} profile_type`,
      });
    }
    if (e.keys.from_container !== undefined && type.install === 'create') {
      add({
        severity: 'warning',
        code: 'from-container-ignored',
        key: 'from_container',
        message: `from_container is ignored: ${type.name} creates from the image template`,
        hint: `use profile_type ${type.backing} to clone ${String(e.keys.from_container)}`,
      });
    }
    const snapshot =
      e.keys.snapshot === true ||
      (e.keys.snapshot === undefined && type.install === 'clone' && (rd.defaults.snapshot ?? type.backing === 'overlayfs'));
    if (snapshot && type.install === 'clone') {
      if (type.backing === 'dir') {
        add({
          severity: 'warning',
          code: 'snapshot-dir',
          key: 'snapshot',
          message: 'snapshot has no effect with dir backing (a dir clone is a full copy)',
          hint: 'remove snapshot:, or use overlayfs for copy-on-write clones',
        });
      } else if (rd.env === 'prod') {
        add({
          severity: 'warning',
          code: 'snapshot-prod',
          key: e.keys.snapshot === true ? 'snapshot' : 'profile_type',
          message: `do not use snapshot in production (${type.name} clones are snapshots of ${String(e.keys.from_container ?? rd.defaults.from_container)})`,
          hint: 'use lvm or dir in production, or --env dev on a development host',
        });
      }
    }
  }

  findings.push(...networkFindings(model, rd, store));
  return sortFindings(findings);
}

/** IPs and MACs are unique per compute node (each node has its own bridge network). */
function networkFindings(model: PillarModel, rd: ResolvedDefaults, store: StoreSnapshot): Finding[] {
  const out: Finding[] = [];
  const file = model.file;
  const byNode = new Map<string, VmEntry[]>();
  for (const e of model.vms) (byNode.get(e.node) ?? byNode.set(e.node, []).get(e.node)!).push(e);
  for (const [node, entries] of byNode) {
    const state = store.get(node) ?? {};
    const ips = new Map<number, VmEntry>();
    const macs = new Map<string, VmEntry>();
    for (const e of entries) {
      const n = vmNet(e, rd.defaults);
      const line = (k: string) => e.keyLines[k] ?? e.line;
      let ipText: string | undefined;
      let fromStore = false;
      if (typeof e.keys.ip === 'string') ipText = e.keys.ip;
      else if (state[e.name]?.ip) {
        ipText = state[e.name]!.ip;
        fromStore = true;
      }
      const ip = ipText !== undefined ? parseIPv4(ipText) : undefined;
      if (ip !== undefined) {
        const p = n ? ipPlacementProblem(ip, n) : undefined;
        if (p) {
          out.push({
            severity: 'error',
            code: 'ip-placement',
            message: `ip ${ipText} ${p}`,
            where: { file, line: line('ip'), field: 'ip' },
            node,
            vm: e.name,
            hint: `choose a free address in ${n ? `${formatIPv4(n.net.base)}/${n.net.prefix}` : 'the network'}, or remove ip: to have one allocated`,
          });
        }
        const other = ips.get(ip);
        if (other) {
          out.push({
            severity: 'error',
            code: 'duplicate-ip',
            message: `ip ${ipText}${fromStore ? ' (stored)' : ''} of ${e.name} is already used by ${other.name} (line ${other.keyLines.ip ?? other.line}) on ${node}`,
            where: { file, line: line('ip'), field: 'ip' },
            node,
            vm: e.name,
            hint: `give one of them another address, or remove ip: from ${e.name} to have a free one allocated`,
          });
        } else ips.set(ip, e);
      }
      const mac = typeof e.keys.mac === 'string' ? e.keys.mac : state[e.name]?.mac;
      if (mac !== undefined) {
        const other = macs.get(mac);
        if (other)
          out.push({
            severity: 'error',
            code: 'duplicate-mac',
            message: `mac ${mac} of ${e.name} is already used by ${other.name} on ${node}`,
            where: { file, line: line('mac'), field: 'mac' },
            node,
            vm: e.name,
            hint: 'remove mac: from one of them to have a unique one generated',
          });
        else macs.set(mac, e);
      }
    }
  }
  return out;
}

function hintFor(key: string): string {
  switch (key) {
    case 'ip':
      return 'write a dotted IPv4 address such as 10.5.10.16, or remove ip: to have one allocated';
    case 'mac':
      return 'remove mac: to have one generated';
    case 'mode':
      return 'mastersalt (default) or salt';
    case 'profile_type':
      return Object.keys(PROFILE_TYPES).join(', ');
    case 'password':
      return 'remove password: to have one generated and stored';
    default:
      return `see the pillar format in the README for ${key}`;
  }
}

/**
 * A saltify target (the compute node attached by salt-cloud's saltify driver) logs in with a key or
 * with a password: both, or neither, is the error mc_cloud_saltify raised (original-system.md §7.1).
 */
function saltifyFindings(file: string, node: NodeDecl): Finding[] {
  const t = node.saltifyTarget;
  if (!t) return [];
  const key = ['ssh_keyfile', 'key_filename'].find((k) => t.keys[k] !== undefined && t.keys[k] !== null);
  const password = t.keys.password !== undefined && t.keys.password !== null;
  if (Boolean(key) === password) {
    return [
      {
        severity: 'error',
        code: 'saltify-auth',
        message: `the saltify target ${node.name} ${password ? `has both a password and a key (${key})` : 'has neither a password nor a key (ssh_keyfile)'}`,
        where: { file, line: t.line },
        node: node.name,
        hint: 'give exactly one: password: … or ssh_keyfile: /root/.ssh/id_rsa',
      },
    ];
  }
  return [];
}
