import { parseSshKey } from '../engine/ssh2-parts.js';

/**
 * Is a private key file encrypted? Decided from its bytes, without loading ssh2, so start-up can
 * ask for passphrases before anything else loads.
 */
export function isEncryptedKey(text: string): boolean {
  if (/Proc-Type:\s*4,ENCRYPTED/.test(text) || text.includes('BEGIN ENCRYPTED PRIVATE KEY')) return true;
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (!m) return false;
  const buf = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
  const magic = 'openssh-key-v1\0';
  if (buf.subarray(0, magic.length).toString('latin1') !== magic) return false;
  const len = buf.readUInt32BE(magic.length);
  return buf.subarray(magic.length + 4, magic.length + 4 + len).toString('latin1') !== 'none';
}

/** Does `passphrase` open the key? (loads ssh2's key parser) */
export async function passphraseOpens(key: Buffer, passphrase: string): Promise<boolean> {
  return Promise.resolve(!(parseSshKey(key, passphrase) instanceof Error));
}
