import { createHash, createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** OpenSSH's fingerprint: SHA256 of the key blob, base64 without padding. */
export function fingerprint(blob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** The key type is the first string inside the blob (ssh-ed25519, ecdsa-sha2-nistp256, …). */
export function keyType(blob: Buffer): string {
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** How known_hosts names a host: bare for port 22, else [host]:port. */
export function hostToken(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

interface Entry {
  patterns: string;
  type: string;
  blob: Buffer;
  revoked: boolean;
  file: string;
  line: number;
}

function globMatch(pattern: string, s: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
    'i',
  );
  return re.test(s);
}

function matches(patterns: string, token: string): boolean {
  if (patterns.startsWith('|1|')) {
    const [, , salt, hash] = patterns.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(token).digest('base64') === hash;
  }
  let ok = false;
  for (const p of patterns.split(',')) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), token)) return false;
    } else if (globMatch(p, token)) ok = true;
  }
  return ok;
}

async function readEntries(file: string): Promise<Entry[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return [];
  }
  const out: Entry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const parts = line.split(/\s+/);
    let revoked = false;
    if (parts[0]?.startsWith('@')) {
      revoked = parts[0] === '@revoked';
      if (parts[0] !== '@revoked') return; // @cert-authority: host certificates are not supported
      parts.shift();
    }
    const [patterns, type, b64] = parts;
    if (!patterns || !type || !b64) return;
    out.push({ patterns, type, blob: Buffer.from(b64, 'base64'), revoked, file, line: i + 1 });
  });
  return out;
}

export type HostKeyVerdict =
  { ok: true; how: 'known' | 'added' } | { ok: false; reason: 'unknown' | 'changed' | 'revoked'; message: string; hint: string };

export type HostKeyPolicy = 'strict' | 'accept-new' | 'off';

/**
 * Check a host key against known_hosts files. Unknown keys are refused (strict) or trusted on
 * first use and written to `writeTo` (accept-new); a changed key is always refused, with both
 * fingerprints, as OpenSSH does.
 */
export async function verifyHostKey(opts: {
  host: string;
  port: number;
  blob: Buffer;
  files: string[];
  policy: HostKeyPolicy;
  writeTo: string;
}): Promise<HostKeyVerdict> {
  const { host, port, blob, policy } = opts;
  if (policy === 'off') return { ok: true, how: 'known' };
  const token = hostToken(host, port);
  const type = keyType(blob);
  const entries = (await Promise.all(opts.files.map(readEntries))).flat().filter((e) => matches(e.patterns, token));
  if (entries.some((e) => e.revoked && e.blob.equals(blob))) {
    return {
      ok: false,
      reason: 'revoked',
      message: `the host key of ${token} (${fingerprint(blob)}) is marked @revoked`,
      hint: 'the compute node must get a new host key',
    };
  }
  const live = entries.filter((e) => !e.revoked);
  if (live.some((e) => e.blob.equals(blob))) return { ok: true, how: 'known' };
  const sameType = live.find((e) => e.type === type);
  if (sameType) {
    return {
      ok: false,
      reason: 'changed',
      message: `the host key of ${token} has CHANGED: known ${fingerprint(sameType.blob)} (${sameType.file}:${sameType.line}), offered ${fingerprint(blob)}`,
      hint: `if the node was reinstalled, remove the old key (ssh-keygen -R '${token}' -f ${sameType.file}); otherwise someone may be intercepting the connection`,
    };
  }
  if (policy === 'accept-new' && live.length === 0) {
    await mkdir(dirname(opts.writeTo), { recursive: true, mode: 0o700 });
    await appendFile(opts.writeTo, `${token} ${type} ${blob.toString('base64')}\n`, { mode: 0o600 });
    return { ok: true, how: 'added' };
  }
  return {
    ok: false,
    reason: 'unknown',
    message: `the host key of ${token} (${type} ${fingerprint(blob)}) is not in ${opts.files.join(' or ')}`,
    hint: `check the fingerprint on the node (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), then connect once with ssh or pass --host-key-policy accept-new`,
  };
}
