import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalTransport } from './local-transport.js';
import { FACTS_SCRIPT, lastLine, NodeSession, parseFacts, type CommandRecord, PROGRESS } from './node-session.js';
import { FakeNode } from '../../test/helpers/fake-node.js';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir } from 'node:fs/promises';

describe('NodeSession.batch (several commands, one round trip)', () => {
  it('runs each command with its own stdin, keeps each output apart, logs each, in one exec', async () => {
    const transport = new LocalTransport();
    const execs: string[][] = [];
    const exec = transport.exec.bind(transport);
    transport.exec = (argv, o) => (execs.push([...argv]), exec(argv, o));
    const log: CommandRecord[] = [];
    const s = new NodeSession(transport, { dryRun: false, onCommand: (c) => log.push(c) });
    const r = await s.batch([
      { argv: ['sh', '-c', 'cat; echo " and more"'], stdin: "it's\nmulti\nline" },
      { argv: ['printf', '%s', 'no newline'] },
      { argv: ['sh', '-c', 'echo to stderr >&2; cat >/dev/null'], stdin: 'x'.repeat(70_000) },
      { argv: ['echo', "a 'quoted' $(arg)"] },
    ]);
    expect(execs).toHaveLength(1);
    expect(r.map((x) => x.code)).toEqual([0, 0, 0, 0]);
    expect(r[0]!.stdout).toBe("it's\nmulti\nline and more\n");
    expect(r[1]!.stdout).toBe('no newline');
    expect(r[2]!.stderr).toBe('to stderr\n');
    expect(r[3]!.stdout).toBe("a 'quoted' $(arg)\n");
    expect(log.map((c) => c.batch)).toEqual([0, 1, 2, 3].map((index) => ({ index, of: 4 })));
  });

  it('stops at the first command that fails: the later ones do not run', async () => {
    const s = new NodeSession(new LocalTransport(), { dryRun: false });
    const r = await s.batch([{ argv: ['true'] }, { argv: ['sh', '-c', 'echo why >&2; exit 3'] }, { argv: ['sh', '-c', 'echo ran'] }]);
    expect(r.map((x) => x.code)).toEqual([0, 3]);
    expect(r[1]!.stderr).toBe('why\n');
  });

  it('a deadline in the middle keeps what finished and names the command it ended in', async () => {
    const s = new NodeSession(new LocalTransport(), { dryRun: false });
    const r = await s.batch([{ argv: ['echo', 'first'] }, { argv: ['sleep', '5'] }, { argv: ['echo', 'never'] }], { timeoutS: 1 });
    expect(r).toHaveLength(2);
    expect(r[0]).toMatchObject({ code: 0, stdout: 'first\n' });
    expect(r[1]).toMatchObject({ timedOut: true });
    expect(r[1]!.code).not.toBe(0);
  });

  it('in a dry run, plans each command and runs none', async () => {
    const transport = new LocalTransport();
    transport.exec = () => Promise.reject(new Error('a dry run ran something'));
    const log: CommandRecord[] = [];
    const s = new NodeSession(transport, { dryRun: true, onCommand: (c) => log.push(c) });
    const r = await s.batch([{ argv: ['touch', '/x'] }, { argv: ['rm', '/y'], stdin: 'abc' }]);
    expect(r.map((x) => x.code)).toEqual([0, 0]);
    expect(log.map((c) => [c.argv.join(' '), c.dryRun, c.stdin])).toEqual([
      ['touch /x', true, undefined],
      ['rm /y', true, '3 bytes'],
    ]);
  });
});

describe('NodeSession.factsWithState (the first VM of a node: facts and its state in one round trip)', () => {
  for (const state of ['RUNNING', 'STOPPED'] as const) {
    it(`keeps the container config and forward it found; the files inside only when the container runs (${state})`, async () => {
      const node = new FakeNode('cn1.example.net');
      node.containers.set('web', {
        state,
        files: new Map([['/etc/hosts', 'inside\n']]),
        users: ['root'],
        hasChpasswd: true,
        bins: new Set(),
      });
      node.files.set('/var/lib/lxc/web/config', 'lxc.net.0.link = br0\n');
      const s = new NodeSession(node, { dryRun: false });
      const f = await s.factsWithState('web', {
        nodePaths: ['/etc/lxc-wizard/forwards/web'],
        table: 'lxc_wizard',
        vmPaths: ['/etc/hosts', '/etc/resolv.conf'],
      });
      expect(node.roundTrips).toBe(1);
      expect(s.factsAsked).toBe(true);
      expect(f.containers.get('web')?.state).toBe(state);
      expect(s.knownNodeFile('/var/lib/lxc/web/config')).toEqual({ content: 'lxc.net.0.link = br0\n' });
      expect(s.knownNodeFile('/etc/lxc-wizard/forwards/web')).toEqual({ content: undefined });
      expect(s.knownTable('lxc_wizard')).toBeDefined();
      expect(await s.facts()).toBe(f);
      const before = node.roundTrips;
      // running: known already; stopped: nothing was taken for "absent", so the node is asked (and
      // lxc-attach says the container does not run)
      if (state === 'RUNNING') expect(await s.readFile('/etc/hosts', 'web')).toBe('inside\n');
      else await expect(s.readFile('/etc/hosts', 'web')).rejects.toThrow(/cannot read \/etc\/hosts in web/);
      expect(node.roundTrips - before).toBe(state === 'RUNNING' ? 0 : 1);
    });
  }
});

describe('the facts script, run by sh against stand-ins for the LXC tools', () => {
  it("prints every container's state, network and rootfs lines (one awk for all), the version and the lxcpath", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lxcw-facts-'));
    try {
      const bin = join(dir, 'bin');
      const lxc = join(dir, 'lxc path');
      await mkdir(bin);
      const tool = async (name: string, body: string) => {
        await writeFile(join(bin, name), `#!/bin/sh\n${body}\n`);
        await chmod(join(bin, name), 0o755);
      };
      await tool('lxc-create', 'echo 5.0.2');
      await tool('lxc-config', `case $1 in lxc.lxcpath) echo '${lxc}' ;; lxc.bdev.lvm.vg) echo lxc ;; esac`);
      await tool('lxc-ls', 'printf "NAME STATE\\nweb RUNNING\\ndb STOPPED\\nbase STOPPED\\n"');
      for (const [name, config] of [
        [
          'web',
          '# lxc.net.0.hwaddr = 00:16:3e:ff:ff:ff\nlxc.uts.name = web\n  lxc.net.0.hwaddr = 00:16:3e:00:00:09\nlxc.net.0.ipv4.address = 10.5.0.9/16\nlxc.rootfs.path = overlayfs:/a:/b\n',
        ],
        ['db', 'lxc.net.0.link = br1\nlxc.mount.entry = x\n'],
      ] as const) {
        await mkdir(join(lxc, name), { recursive: true });
        await writeFile(join(lxc, name, 'config'), config);
      }
      const r = spawnSync('sh', ['-c', FACTS_SCRIPT], { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin` } });
      expect(r.status).toBe(0);
      const f = parseFacts(r.stdout);
      expect(f).toMatchObject({ lxcVersion: '5.0.2', lxcPath: lxc, defaultVg: 'lxc' });
      // df's own lines and the node's /etc/hosts whole, each under its tag
      expect(f.freeKb).toBeGreaterThan(0);
      expect(f.hosts).toBe(await readFile('/etc/hosts', 'utf8'));
      expect([...f.containers.values()]).toEqual([
        { name: 'web', state: 'RUNNING', mac: '00:16:3e:00:00:09', ip: '10.5.0.9', link: undefined, rootfs: 'overlayfs:/a:/b' },
        { name: 'db', state: 'STOPPED', mac: undefined, ip: undefined, link: 'br1' },
        // no config file: listed all the same
        { name: 'base', state: 'STOPPED', mac: undefined, ip: undefined, link: undefined },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('NodeSession.writeItems (several files, one command)', () => {
  it('writes each file whole with its mode, an empty one and an unchanged multi-byte one included, and leaves no temp file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lxcw-writeitems-'));
    try {
      await writeFile(join(dir, 'old'), 'to be replaced, longer than the new content\n');
      const files = [
        { path: join(dir, 'a/b/first.yaml'), content: 'key: värde\n\nwith: "quotes" and $(no expansion)\n', mode: '0600', dirMode: '0750' },
        { path: join(dir, 'empty'), content: '' },
        { path: join(dir, 'old'), content: 'new\n', mode: '0640' },
        // modes a umask cannot give (chmod), and a directory made after a file of mode 0644: 0700
        { path: join(dir, 'script'), content: '#!/bin/sh\n', mode: '0755' },
        { path: join(dir, 'new/secret'), content: 'k', mode: '0400' },
        { path: join(dir, 'last'), content: 'x'.repeat(70_000) + '\nno newline at the end' },
      ];
      const r = await new NodeSession(new LocalTransport(), { dryRun: false }).change(...split(NodeSession.writeItems(files)));
      expect(r.code).toBe(0);
      for (const f of files) {
        expect(await readFile(f.path, 'utf8')).toBe(f.content);
        expect(((await stat(f.path)).mode & 0o777).toString(8)).toBe((f.mode ?? '0644').slice(1));
      }
      expect(((await stat(join(dir, 'a/b'))).mode & 0o777).toString(8)).toBe('750');
      expect(((await stat(join(dir, 'new'))).mode & 0o777).toString(8)).toBe('700');
      expect((await readdir(dir)).filter((n) => n.includes('lxcw-tmp'))).toEqual([]);
      // one file: the same command as writeItem's
      expect(NodeSession.writeItem('/etc/x', 'y').argv).toEqual(NodeSession.writeItems([{ path: '/etc/x', content: 'y' }]).argv);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('NodeSession.casWriteItem (replace a node file only if it is what we read)', () => {
  it('writes over the content it was given, refuses (exit 75, file kept) when the file changed since, creates it when absent', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lxcw-cas-'));
    const s = new NodeSession(new LocalTransport(), { dryRun: false });
    try {
      const f = join(dir, 'hosts');
      expect((await s.change(...split(NodeSession.casWriteItem(f, undefined, 'one\n')))).code).toBe(0);
      expect(await readFile(f, 'utf8')).toBe('one\n');
      expect((await s.change(...split(NodeSession.casWriteItem(f, 'one\n', 'two\n')))).code).toBe(0);
      expect(await readFile(f, 'utf8')).toBe('two\n');
      expect(((await stat(f)).mode & 0o777).toString(8)).toBe('644');
      expect((await s.change(...split(NodeSession.casWriteItem(f, 'two\n', 'two\n', '0600')))).code).toBe(0);
      expect(((await stat(f)).mode & 0o777).toString(8)).toBe('600');
      const refused = await s.change(...split(NodeSession.casWriteItem(f, 'one\n', 'three\n')));
      expect(refused.code).toBe(75);
      // the refusal brings the file as it is now: the edit can be made again without a read
      expect(NodeSession.casRefused(refused)).toBe('two\n');
      expect((await s.change(...split(NodeSession.casWriteItem(f, undefined, 'three\n')))).code).toBe(75);
      expect(await readFile(f, 'utf8')).toBe('two\n');
      expect((await readdir(dir)).sort()).toEqual(['hosts']);
      // a file that is gone: refused with nothing to show, then written over "none"
      await rm(f);
      const gone = await s.change(...split(NodeSession.casWriteItem(f, 'two\n', 'four\n')));
      expect(gone.code).toBe(75);
      expect(NodeSession.casRefused(gone)).toBeUndefined();
      expect((await s.change(...split(NodeSession.casWriteItem(f, undefined, 'four\n')))).code).toBe(0);
      expect(await readFile(f, 'utf8')).toBe('four\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

function split(it: ReturnType<typeof NodeSession.writeItems>): [string[], { stdin?: string }] {
  return [it.argv, { stdin: it.stdin as string }];
}

describe('lastLine (the reason a node command gave)', () => {
  it("names nft's error, not the ^^^ marker under the offending input", () => {
    const stderr =
      '/dev/stdin:9:25-31: Error: syntax error, unexpected comment\n    tcp dport  dnat to  comment "lxcw vm a"\n                        ^^^^^^^\n';
    expect(lastLine({ code: 1, stdout: '', stderr, timedOut: false, signal: null, durationMs: 1 })).toBe(
      '/dev/stdin:9:25-31: Error: syntax error, unexpected comment',
    );
  });
  it('otherwise the last line that says something, or the exit status', () => {
    expect(lastLine({ code: 2, stdout: '', stderr: 'one\nno such file\n\n', timedOut: false, signal: null, durationMs: 1 })).toBe(
      'no such file',
    );
    expect(lastLine({ code: 3, stdout: '', stderr: '', timedOut: false, signal: null, durationMs: 1 })).toBe('exit 3');
  });
});

describe('NodeSession.batch progress', () => {
  it("passes a command's progress lines (PROGRESS on stderr) as they come, and keeps them out of nothing else", async () => {
    const s = new NodeSession(new LocalTransport(), { dryRun: false });
    const seen: string[] = [];
    const [a, b] = await s.batch(
      [{ argv: ['sh', '-c', `echo "${PROGRESS}waiting, 5 s" >&2; echo noise >&2; echo one`] }, { argv: ['echo', 'two'] }],
      { timeoutS: 10, onProgress: (l) => seen.push(l) },
    );
    expect(seen).toEqual(['waiting, 5 s']);
    expect([a!.stdout, b!.stdout]).toEqual(['one\n', 'two\n']);
  });
});
