import { describe, expect, it } from 'vitest';
import { renderApp } from '../../../test/helpers/ink.js';
import { ReviewScreen } from './ReviewScreen.js';

const settings = {
  profile_type: 'dir-scratch',
  from_container: null,
  image: 'busybox',
  master: 'ctl.example.net',
  master_port: 4606,
  bootsalt_branch: 'stable',
  ip: null,
};

describe('the review', () => {
  it('shows what applies to the choices made: a create has no origin, no salt has no master; pending values say when they come', () => {
    const r = renderApp(
      <ReviewScreen
        name="web.example.com"
        node="cn1"
        noSalt
        preview={{ profile: 'ms-cn1-dir-scratch', settings, warnings: [], errors: [], diff: '+  web.example.com: {}\n' }}
        onAction={() => undefined}
      />,
    );
    const f = r.lastFrame()!;
    expect(f).toContain('image                   busybox');
    expect(f).not.toContain('from_container');
    expect(f).not.toContain('master');
    expect(f).not.toContain('bootsalt_branch');
    expect(f).toContain('ip                      (allocated when the entry is written)');
    expect(f).toContain('write and run');
  });

  it('an edit that changes nothing says so, and offers the run alone', () => {
    const r = renderApp(
      <ReviewScreen
        name="web.example.com"
        node="cn1"
        noSalt={false}
        preview={{
          profile: 'ms-cn1-dir',
          settings: { ...settings, profile_type: 'dir', from_container: 'base' },
          warnings: [],
          errors: [],
          diff: '',
        }}
        onAction={() => undefined}
      />,
    );
    const f = r.lastFrame()!;
    expect(f).toContain('no change to the pillar');
    expect(f).toContain('run (nothing to write)');
    expect(f).toContain('write only  (unavailable: nothing to write)');
    expect(f).toContain('from_container          base');
    expect(f).not.toContain('image ');
  });
});
