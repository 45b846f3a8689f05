import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Env } from '../core/defaults.js';
import { printable } from '../core/printable.js';
import { writeFileAtomic } from '../pillar-writer/atomic-write.js';
import type { NodeChoice } from '../wizard/types.js';
import type { WizardDefaults } from '../wizard/services.js';
import type { Loaded } from './workspace.js';

/**
 * What the wizard's first screen shows of a pillar (its compute nodes, env and defaults), kept
 * per operator so that the next wizard on the same bytes draws at once instead of after the
 * parse (0.65 s cold for 10,000 VMs). It is what the parse of those very bytes gave, by this very
 * build: the key is the file's SHA-256, the --env given and the running program's identity, so a
 * pillar edited by hand, another env or an upgrade reads afresh. No secret is kept, only names,
 * counts and defaults. Anything odd in the file (format, shape, a control character) is a miss.
 */
export interface PillarSummary {
  nodes: NodeChoice[];
  env: Env;
  defaults: WizardDefaults;
}

interface SummaryKey {
  sha256: string;
  /** --env or LXC_WIZARD_ENV as given (undefined: the pillar's default_env) */
  envFlag: Env | undefined;
}

const FORMAT = 1;

/**
 * The running program: this module's file (a bundle chunk, named by its content's hash; every
 * build writes every chunk anew) by name, size and time; under tests, the source module.
 */
let buildIdMemo: Promise<string> | undefined;
function buildId(): Promise<string> {
  buildIdMemo ??= stat(fileURLToPath(import.meta.url)).then(
    (s) => `${import.meta.url}:${s.size}:${s.mtimeMs}`,
    () => 'unknown',
  );
  return buildIdMemo;
}

const fileOf = (stateHome: string, pillarPath: string) =>
  join(stateHome, 'pillar-summaries', `${createHash('sha256').update(pillarPath).digest('hex').slice(0, 32)}.json`);

/** The first screen's part of a pillar just read. */
export function summaryOf(loaded: Loaded): PillarSummary {
  const m = loaded.file.model;
  const d = loaded.rd.defaults;
  const defaults = { mode: d.mode, origin: d.from_container, image: d.image, branch: d.bootsalt_branch, size: d.size, sizes: d.sizes };
  const names = [...m.nodes.keys()];
  if (!names.includes('localhost')) names.push('localhost');
  const counts = new Map<string, number>();
  for (const v of m.vms) counts.set(v.node, (counts.get(v.node) ?? 0) + 1);
  return { nodes: names.map((name) => ({ name, vmCount: counts.get(name) ?? 0 })), env: loaded.rd.env, defaults };
}

/** The summary kept for exactly these bytes, env flag and build, or undefined. */
export async function readSummary(stateHome: string, pillarPath: string, key: SummaryKey): Promise<PillarSummary | undefined> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(fileOf(stateHome, pillarPath), 'utf8'));
  } catch {
    return undefined;
  }
  const r = raw as Record<string, unknown>;
  if (
    typeof r !== 'object' ||
    r === null ||
    r.format !== FORMAT ||
    r.build !== (await buildId()) ||
    r.pillar !== pillarPath ||
    r.sha256 !== key.sha256 ||
    r.envFlag !== (key.envFlag ?? null)
  )
    return undefined;
  const s = r.summary as PillarSummary | undefined;
  return s && wellFormed(s) ? s : undefined;
}

/** Keep the summary of what was just read; one that cannot be kept only costs the next start its speed. */
export async function writeSummary(stateHome: string, pillarPath: string, key: SummaryKey, summary: PillarSummary): Promise<void> {
  const body = { format: FORMAT, build: await buildId(), pillar: pillarPath, sha256: key.sha256, envFlag: key.envFlag ?? null, summary };
  try {
    await mkdir(join(stateHome, 'pillar-summaries'), { recursive: true, mode: 0o700 });
    await writeFileAtomic(fileOf(stateHome, pillarPath), JSON.stringify(body) + '\n', { forceMode: 0o600 });
  } catch {
    // not worth interrupting the operator for
  }
}

/** Remove the summary kept for this pillar (one found not to match it). */
export async function forgetSummary(stateHome: string, pillarPath: string): Promise<void> {
  await rm(fileOf(stateHome, pillarPath), { force: true }).catch(() => undefined);
}

/** The same first screen: both made by summaryOf (one through JSON), so the same keys in the same order. */
export function sameSummary(a: PillarSummary, b: PillarSummary): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

// Names reach the terminal: a kept name with anything that could steer it is a miss (the parse
// of the pillar itself then says what it says of that name).
const text = (v: unknown): v is string => typeof v === 'string' && v.length <= 4096 && printable(v) === v && !/[\n\t]/.test(v);

function wellFormed(s: PillarSummary): boolean {
  const d = s.defaults as unknown as Record<string, unknown> | undefined;
  return (
    Array.isArray(s.nodes) &&
    s.nodes.every((n) => text(n?.name) && n.name !== '' && Number.isSafeInteger(n.vmCount) && n.vmCount >= 0) &&
    (s.env === 'dev' || s.env === 'prod') &&
    typeof d === 'object' &&
    d !== null &&
    (d.mode === 'mastersalt' || d.mode === 'salt') &&
    ['origin', 'image', 'branch', 'size'].every((k) => text(d[k])) &&
    typeof d.sizes === 'object' &&
    d.sizes !== null &&
    Object.entries(d.sizes).every(([k, v]) => text(k) && text(v))
  );
}
