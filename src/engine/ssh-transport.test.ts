import { execFileSync, spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SshTransport, WAITING_SHELL, waitingInput } from './ssh-transport.js';
import type { SshTarget } from './ssh-options.js';
import { InterruptedError } from '../core/errors.js';
import { TransportError } from './transport.js';
import { FakeNode } from '../../test/helpers/fake-node.js';
import { scratch } from '../../test/helpers/pillar.js';
import { memoryLedger, runWith, states, vmsFrom } from '../../test/helpers/run.js';
import { keyPair, TestSshServer } from '../../test/helpers/ssh-server.js';

let s: Awaited<ReturnType<typeof scratch>>;
let server: TestSshServer;
let node: FakeNode;
const client = keyPair();
let target: SshTarget;

beforeEach(async () => {
  s = await scratch();
  node = new FakeNode('cn1.example.net');
  server = new TestSshServer(client.public, node);
  await server.start();
  const key = await s.file('id_ed25519', client.private);
  const kh = await s.file('known_hosts', server.knownHostsLine());
  target = {
    node: 'cn1.example.net',
    host: '127.0.0.1',
    port: server.port,
    user: 'root',
    identityFiles: [key],
    knownHostsFiles: [kh, join(s.dir, 'ours')],
    policy: 'strict',
  };
});
afterEach(async () => {
  await server.stop();
  await s.cleanup();
});

describe('the ssh2 transport against an in-process SSH server', () => {
  it('stops a command whose output passes the cap: the step fails saying so, the connection stays usable', async () => {
    const exec = node.exec.bind(node);
    node.exec = async (argv, o) =>
      argv[0] === 'flood'
        ? { code: 0, signal: null, stdout: 'a'.repeat(8 * 1024 * 1024), stderr: '', durationMs: 1, timedOut: false }
        : exec(argv, o);
    const t = new SshTransport(target, { maxOutputBytes: 2 * 1024 * 1024 });
    const r = await t.exec(['flood'], { timeoutS: 30 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('output too large (more than 2 MB)');
    expect(r.stdout.length).toBeLessThanOrEqual(2 * 1024 * 1024);
    node.files.set('/etc/motd', 'hello\n');
    expect(
      (await t.exec(['sh', '-c', 'if [ -e "$1" ]; then cat -- "$1"; else exit 3; fi', 'sh', '/etc/motd'], { timeoutS: 10 })).stdout,
    ).toBe('hello\n');
    await t.close();
  });

  it('runs commands with stdin, split output and exit codes, all on one connection', async () => {
    const t = new SshTransport(target);
    node.files.set('/etc/motd', 'hello\n');
    const results = await Promise.all(
      Array.from({ length: 12 }, () =>
        t.exec(['sh', '-c', 'if [ -e "$1" ]; then cat -- "$1"; else exit 3; fi', 'sh', '/etc/motd'], { timeoutS: 10 }),
      ),
    );
    expect(results.every((r) => r.code === 0 && r.stdout === 'hello\n' && r.stderr === '')).toBe(true);
    const w = await t.exec(['sh', '-c', 'set -e; umask 077; x', 'sh', '/etc/x', '0644'], { timeoutS: 10, stdin: 'secret-content' });
    expect(w.code).toBe(0);
    expect(node.files.get('/etc/x')).toBe('secret-content');
    expect(server.received.every((c) => !c.includes('secret-content'))).toBe(true);
    expect(server.received[0]).toMatch(/exec timeout --kill-after=5 10 sh -c /);
    expect(t.connections).toBe(1);
    await t.close();
  });

  it('reports a connection dropped in the middle of a command, then reconnects for the next one', async () => {
    const t = new SshTransport(target);
    server.fault.dropOn = (a) => a[0] === 'lxc-start';
    await expect(t.exec(['lxc-start', '-n', 'x', '-d'], { timeoutS: 10 })).rejects.toThrow(
      'the SSH connection to compute node cn1.example.net was lost',
    );
    server.fault = {};
    const r = await t.exec(['lxc-wait', '-n', 'x', '-s', 'RUNNING', '-t', '1'], { timeoutS: 10 });
    expect(r.code).toBe(1);
    expect(t.connections).toBe(2);
    await t.close();
  });

  it('runs a command on a channel opened before it, its stdin whole, never more channels than maxChannels', async () => {
    const t = new SshTransport(target, { maxChannels: 3 });
    const input = 'line one\n\tline two\n' + 'x'.repeat(70_000) + '\n\nno newline at the end';
    for (let i = 0; i < 4; i++) {
      const w = await t.exec(['sh', '-c', 'set -e; umask 077; x', 'sh', `/etc/f${i}`, '0644'], { timeoutS: 10, stdin: input });
      expect(w.code).toBe(0);
      expect(node.files.get(`/etc/f${i}`)).toBe(input);
    }
    // the first command opens its own channel; the next ones find one waiting
    expect(server.waited).toBe(3);
    server.waited = 0;
    node.files.set('/etc/motd', 'hello\n');
    const many = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.exec(['sh', '-c', 'if [ -e "$1" ]; then cat -- "$1"; else exit 3; fi', 'sh', '/etc/motd'], { timeoutS: 10 }),
      ),
    );
    expect(many.map((r) => r.stdout)).toEqual(Array(10).fill('hello\n'));
    expect(server.waited).toBeGreaterThan(0);
    expect(server.mostOpen).toBeLessThanOrEqual(3);
    expect(t.connections).toBe(1);
    await t.close();
  });

  it('connects when warmed, before any command, and the first command uses that connection', async () => {
    const t = new SshTransport(target);
    t.warm();
    await vi.waitFor(() => expect(t.connections).toBe(1));
    expect(server.received).toEqual([]);
    node.files.set('/etc/motd', 'hello\n');
    const r = await t.exec(['sh', '-c', 'if [ -e "$1" ]; then cat -- "$1"; else exit 3; fi', 'sh', '/etc/motd'], { timeoutS: 10 });
    expect(r).toMatchObject({ code: 0, stdout: 'hello\n' });
    t.warm();
    expect(t.connections).toBe(1);
    await t.close();
  });

  it('a login refused while warming is reported by the first command, without logging in again', async () => {
    const other = keyPair();
    const t = new SshTransport({ ...target, identityFiles: [await s.file('other_key', other.private)] });
    let logins = 0;
    server.onAuth = () => logins++;
    t.warm();
    await vi.waitFor(() => expect(logins).toBeGreaterThan(0));
    await new Promise((r) => setTimeout(r, 200));
    const tried = logins;
    await expect(t.exec(['true'], { timeoutS: 10 })).rejects.toThrow(/login refused by root@127\.0\.0\.1/);
    expect(logins).toBe(tried);
    // the next command tries again
    await expect(t.exec(['true'], { timeoutS: 10 })).rejects.toThrow(/login refused/);
    expect(logins).toBeGreaterThan(tried);
    await t.close();
  });

  it('readies as many channels as the next steps will start at once, within maxChannels, then goes back to two', async () => {
    const t = new SshTransport(target, { maxChannels: 6 });
    node.files.set('/etc/motd', 'hello\n');
    const cat = () => t.exec(['sh', '-c', 'if [ -e "$1" ]; then cat -- "$1"; else exit 3; fi', 'sh', '/etc/motd'], { timeoutS: 10 });
    await cat();
    await vi.waitFor(() => expect(server.open).toBe(2));
    // the VM's next phase will start four commands: two more channels open while nothing runs
    t.expect('vm1', 4);
    await vi.waitFor(() => expect(server.open).toBe(4));
    // that phase starts: its four commands all find a channel waiting (none opens its own)
    t.expect('vm1', 1);
    server.waited = 0;
    const four = await Promise.all(Array.from({ length: 4 }, cat));
    expect(four.map((r) => r.stdout)).toEqual(Array(4).fill('hello\n'));
    expect(server.waited).toBe(4);
    // back to two waiting; and never beyond maxChannels, whatever is expected
    await vi.waitFor(() => expect(server.open).toBe(2));
    t.expect('vm2', 4);
    t.expect('vm3', 4);
    await vi.waitFor(() => expect(server.open).toBe(6));
    await new Promise((r) => setTimeout(r, 100));
    expect(server.mostOpen).toBe(6);
    await t.close();
  });

  it('on a node that allows fewer sessions, runs every command all the same, opening fewer channels ahead', async () => {
    server.maxSessions = 2;
    const t = new SshTransport(target);
    node.files.set('/etc/motd', 'hello\n');
    for (let i = 0; i < 5; i++) {
      const r = await t.exec(['sh', '-c', 'if [ -e "$1" ]; then cat -- "$1"; else exit 3; fi', 'sh', '/etc/motd'], { timeoutS: 10 });
      expect(r).toMatchObject({ code: 0, stdout: 'hello\n' });
    }
    expect(server.mostOpen).toBeLessThanOrEqual(2);
    await t.close();
  });

  it.each(['sh', 'bash'])(
    'the waiting shell under %s: runs the command line it is sent with the rest as stdin, refuses one that did not arrive whole',
    (shell) => {
      const stdin = Buffer.concat([Buffer.from('first\n\0binary'), Buffer.from([0xff, 0xfe, 10]), Buffer.alloc(100_000, 'y')]);
      // a command line of several lines, quoted parts, a backslash and leading blanks kept as sent
      const command = `cat; printf '%s\\n' 'two\n  lines\\' >&2; echo "pid $$" >&2; exit 7`;
      const ok = spawnSync(shell, ['-c', WAITING_SHELL], { input: Buffer.concat([Buffer.from(waitingInput(command)), stdin]) });
      expect(ok.status).toBe(7);
      expect(ok.stdout.equals(stdin)).toBe(true);
      expect(ok.stderr.toString()).toMatch(/^two\n {2}lines\\\npid \d+\n$/);
      // the channel closed in the middle of the command line: none of it runs
      const cut = waitingInput('touch /tmp/lxcw-never-made\nrm -rf /nothing');
      for (const input of [cut.slice(0, cut.indexOf('rm')), cut.slice(0, -2), '\nrm -rf /nothing\n\n']) {
        const bad = spawnSync(shell, ['-c', WAITING_SHELL], { input, encoding: 'utf8' });
        expect(bad.status).toBe(126);
        expect(bad.stderr).toMatch(/the command line did not arrive whole/);
      }
      // the channel closed before a command came: nothing runs
      expect(spawnSync(shell, ['-c', WAITING_SHELL], { input: '', encoding: 'utf8' })).toMatchObject({ status: 0, stdout: '', stderr: '' });
    },
  );

  it('ends a stalled command with the remote timeout (exit 124)', async () => {
    const t = new SshTransport(target);
    server.fault.stallOn = () => true;
    const r = await t.exec(['sleep', '3600'], { timeoutS: 1 });
    expect(r).toMatchObject({ code: 124, timedOut: true });
    await t.close();
  });

  it('cancels a running command on the remote side by its PID when aborted', async () => {
    const t = new SshTransport(target);
    server.fault.stallOn = () => true;
    const abort = new AbortController();
    const p = t.exec(['sleep', '3600'], { timeoutS: 30, signal: abort.signal });
    await vi.waitFor(() => expect(server.received.some((c) => c.includes('sleep 3600'))).toBe(true));
    abort.abort();
    await expect(p).rejects.toBeInstanceOf(InterruptedError);
    // Closing right away, as a run does after Ctrl-C, must not swallow the kill.
    await t.close();
    expect(server.received).toContain('kill -TERM 4242 2>/dev/null');
  });

  it('refuses an unknown host key when strict, naming its fingerprint; accept-new records it', async () => {
    await writeFile(target.knownHostsFiles[0]!, '');
    const strict = new SshTransport(target);
    const err = await strict.exec(['true'], { timeoutS: 5 }).catch((e: TransportError) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).message).toMatch(
      /^the host key of \[127\.0\.0\.1\]:\d+ \(ssh-ed25519 SHA256:[A-Za-z0-9+/]+\) is not in /,
    );
    expect((err as TransportError).hint).toContain('--host-key-policy accept-new');
    const tofu = new SshTransport({ ...target, policy: 'accept-new' });
    expect((await tofu.exec(['lxc-wait', '-n', 'x'], { timeoutS: 5 })).code).toBe(1);
    expect(await readFile(join(s.dir, 'ours'), 'utf8')).toBe(server.knownHostsLine());
    await tofu.close();
  });

  it('refuses a changed host key with both fingerprints', async () => {
    const other = new TestSshServer(client.public, node);
    await writeFile(
      target.knownHostsFiles[0]!,
      server.knownHostsLine().replace(/ \S+\n$/, ' ' + (other.knownHostsLine().split(' ')[2] ?? '')),
    );
    const err = (await new SshTransport({ ...target, policy: 'accept-new' })
      .exec(['true'], { timeoutS: 5 })
      .catch((e) => e)) as TransportError;
    expect(err.message).toMatch(/has CHANGED: known SHA256:\S+ \(.*known_hosts:1\), offered SHA256:\S+/);
    expect(err.hint).toContain('ssh-keygen -R');
  });

  it('reports a refused login with what was tried', async () => {
    const stranger = await s.file('stranger', keyPair().private);
    const err = (await new SshTransport({ ...target, identityFiles: [stranger] })
      .exec(['true'], { timeoutS: 5 })
      .catch((e) => e)) as TransportError;
    expect(err.message).toBe(`login refused by root@127.0.0.1:${server.port} (compute node cn1.example.net)`);
    expect(err.hint).toContain(stranger);
  });

  it('says at once that a node cannot be reached (nothing listens on its port), and tries again for the next command', async () => {
    const port = server.port;
    await server.stop();
    const t = new SshTransport(target);
    const started = Date.now();
    const err = (await t.exec(['true'], { timeoutS: 5 }).catch((e) => e)) as TransportError;
    expect(err).toBeInstanceOf(TransportError);
    expect(err.message).toBe(`cannot reach root@127.0.0.1:${port} (compute node cn1.example.net): connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(err.hint).toMatch(/check the host name, port and network/);
    expect(Date.now() - started).toBeLessThan(5_000);
    // the node is back: the same transport connects, once
    await server.start(port);
    node.files.set('/etc/motd', 'back\n');
    try {
      const r = await t.exec(['sh', '-c', 'if [ -e "$1" ]; then cat -- "$1"; else exit 3; fi', 'sh', '/etc/motd'], { timeoutS: 5 });
      expect(r).toMatchObject({ code: 0, stdout: 'back\n' });
      expect(t.connections).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('logs in with an encrypted key given its passphrase, and says to ssh-add it when none was given', async () => {
    const k = keyPair();
    const other = new TestSshServer(k.public, node);
    await other.start();
    try {
      const keyFile = join(s.dir, 'enc');
      execFileSync('sh', [
        '-c',
        `printf '%s' "$1" > "$2" && chmod 600 "$2" && ssh-keygen -q -p -P '' -N 'open sesame' -f "$2"`,
        'sh',
        k.private,
        keyFile,
      ]);
      const kh = await s.file('kh2', other.knownHostsLine());
      const t2: SshTarget = { ...target, port: other.port, identityFiles: [keyFile], knownHostsFiles: [kh] };
      const ok = new SshTransport(t2, { passphrases: new Map([[keyFile, 'open sesame']]) });
      expect((await ok.exec(['lxc-wait', '-n', 'x'], { timeoutS: 5 })).code).toBe(1);
      await ok.close();
      const err = (await new SshTransport(t2).exec(['true'], { timeoutS: 5 }).catch((e) => e)) as TransportError;
      expect(err.hint).toContain(`skipped encrypted key(s) ${keyFile}: load them into ssh-agent (ssh-add)`);
    } finally {
      await other.stop();
    }
  });

  it('keeps the ledger right through a dropped connection, and a re-run over SSH finishes the job', async () => {
    const vms = vmsFrom(`makina-states.cloud.lxc.vms.cn1.example.net:\n  web.example.com: {profile_type: overlayfs}\n`, 'dev');
    const ledger = memoryLedger();
    server.fault.dropOn = (a) => a[0] === 'lxc-attach' && a.some((x) => x.includes('command -v chpasswd'));
    const transports = [new SshTransport(target), new SshTransport(target)];
    try {
      const first = await runWith(vms, { 'cn1.example.net': transports[0]! }, { ledger });
      expect(states(first.results[0]!)).toMatchObject({
        spawn: 'done',
        grains: 'done',
        initial_setup: 'failed',
        initial_highstate: 'not-run',
      });
      expect(first.results[0]!.steps.find((x) => x.name === 'initial_setup')!.error).toBe(
        'the SSH connection to compute node cn1.example.net was lost',
      );
      expect(ledger.data['web.example.com@cn1.example.net']).toMatchObject({ grains: 'done', initial_setup: 'failed' });
      server.fault = {};
      const second = await runWith(vms, { 'cn1.example.net': transports[1]! }, { ledger });
      expect(states(second.results[0]!)).toEqual({
        preflight: 'done',
        spawn: 'already-done',
        reverse_proxy: 'already-done',
        hostsfile: 'already-done',
        sshkeys: 'already-done',
        grains: 'already-done',
        initial_setup: 'done',
        initial_highstate: 'done',
        ping: 'skipped',
        // its sshd answered preflight's one try, in preflight's read
        reachable: 'already-done',
      });
    } finally {
      // an open connection would keep the server's stop() waiting
      for (const t of transports) await t.close();
    }
  });
});
