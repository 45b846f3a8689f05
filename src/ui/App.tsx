import { Box, Text, useInput } from 'ink';
import { useMemo, useRef, useState, type ReactElement } from 'react';
import { profileTypeFor } from '../core/profile-types.js';
import { SEED_STEPS, STEP_NAMES } from '../core/steps.js';
import {
  advance,
  answersFromEntry,
  back,
  backingChoices,
  entryOf,
  initialState,
  installChoices,
  jump,
  modeChoices,
  originChoices,
  preselect,
  sizeChoices,
} from '../wizard/machine.js';
import type { Preview, WizardServices } from '../wizard/services.js';
import type { NodeProbe, WizardState } from '../wizard/types.js';
import { Footer } from './components/Footer.js';
import { NodeBanner } from './components/NodeBanner.js';
import { TextField } from './components/TextField.js';
import { RunStore } from './run-store.js';
import { AdvancedScreen } from './screens/AdvancedScreen.js';
import { ChoiceScreen } from './screens/ChoiceScreen.js';
import { NameScreen } from './screens/NameScreen.js';
import { NodeScreen } from './screens/NodeScreen.js';
import { ResultScreen } from './screens/ResultScreen.js';
import { ReviewScreen } from './screens/ReviewScreen.js';
import { RunScreen, type FailureAction } from './screens/RunScreen.js';

const KEYS: Record<string, string[]> = {
  question: ['↑/↓ choose', 'Enter confirm', 'Esc back', 'Ctrl-C quit (nothing is written)'],
  review: ['↑/↓ choose', 'Enter confirm', 'Esc back', 'Ctrl-C quit (nothing is written)'],
  run: ['Ctrl-C abort the running step (asks first)'],
  result: ['p reveal the password', 'Enter or q quit'],
};

export interface AppProps {
  services: WizardServices;
  onExit: (code: number) => void;
  /** false in snapshot tests: elapsed times are not deterministic */
  showTime?: boolean;
  advancedOpen?: boolean;
}

/** The wizard: the state machine drawn one screen at a time. */
export function App({ services, onExit, showTime, advancedOpen }: AppProps) {
  const [state, setState] = useState<WizardState>(() =>
    initialState({ mode: services.defaults.mode, advancedOpen: advancedOpen ?? false }),
  );
  const [probes, setProbes] = useState<Record<string, NodeProbe>>({});
  const [installStep, setInstallStep] = useState<'mode' | 'origin' | 'image'>('mode');
  const [preview, setPreview] = useState<Preview>();
  const [confirmAbort, setConfirmAbort] = useState(false);
  const [message, setMessage] = useState<string>();
  const store = useMemo(() => new RunStore(STEP_NAMES as string[]), []);
  const abort = useRef<AbortController | undefined>(undefined);
  const { answers: a, screen } = state;
  const probe = a.node ? probes[a.node] : undefined;

  const startProbe = (node: string) => {
    if (probes[node]?.state === 'ok') return;
    setProbes((p) => ({ ...p, [node]: { state: 'probing', stopped: [], volumeGroups: [] } }));
    services.probe(node).then(
      (r) => setProbes((p) => ({ ...p, [node]: r })),
      (e: Error) => setProbes((p) => ({ ...p, [node]: { state: 'error', error: e.message, stopped: [], volumeGroups: [] } })),
    );
  };

  const toReview = (s: WizardState) => {
    setPreview(services.preview(s.answers.node!, s.answers.name!, entryOf(s.answers, services.defaults)));
    setState({ ...s, screen: 'review' });
  };

  const startRun = (s: WizardState, from?: string) => {
    abort.current = new AbortController();
    store.reset(STEP_NAMES as string[]);
    setConfirmAbort(false);
    setState(s.screen === 'run' ? s : jump(s, 'run'));
    const only = from ? SEED_STEPS.slice(SEED_STEPS.indexOf(from as never)) : undefined;
    services.run(s.answers.node!, s.answers.name!, store.listener, abort.current.signal, { only }).then(
      (r) => {
        store.finish(r.ok, r.logFile);
        if (r.ok) setState((cur) => jump(cur, 'result'));
        else if (abort.current?.signal.aborted) onExit(130);
      },
      (e: Error) => {
        setMessage(e.message);
        store.finish(false, '');
      },
    );
  };

  useInput((input, key) => {
    if (key.ctrl && input === 'c') {
      if (screen !== 'run') return onExit(130);
      const running = store.get().steps.some((x) => x.state === 'running');
      if (!running) return onExit(1);
      if (confirmAbort) abort.current?.abort();
      else setConfirmAbort(true);
      return;
    }
    if (confirmAbort) setConfirmAbort(false);
    if (key.escape && screen !== 'run' && screen !== 'result') {
      if (screen === 'install' && installStep !== 'mode') return setInstallStep('mode');
      setState((s) => back(s));
    }
  });

  let body: ReactElement;
  switch (screen) {
    case 'node':
      body = (
        <NodeScreen
          nodes={services.nodes()}
          initial={a.node}
          onPick={(node) => {
            startProbe(node);
            setState((s) => advance(s, { node }));
          }}
        />
      );
      break;
    case 'name':
      body = (
        <NameScreen
          initial={a.name}
          existing={services.existing}
          onName={(name) => setState((s) => advance(s, { name }))}
          onExisting={(name, vm, action) => {
            startProbe(vm.node);
            const answers = answersFromEntry(vm.node, name, vm.keys, a);
            if (action === 'edit') setState({ ...state, answers, screen: 'backing', history: [...state.history, 'name'] });
            else startRun({ ...state, answers });
          }}
        />
      );
      break;
    case 'backing': {
      const choices = backingChoices(probe);
      body = (
        <ChoiceScreen
          title="Backing store"
          choices={choices}
          initial={preselect(choices, a.backing ?? (services.env === 'prod' ? 'lvm' : 'overlayfs'))}
          onSelect={(backing) => setState((s) => advance(s, { backing }))}
        />
      );
      break;
    }
    case 'install': {
      if (installStep === 'origin') {
        const origins = originChoices(probe, services.defaults.origin);
        body = (
          <ChoiceScreen
            title="Origin container (stopped containers of the node)"
            choices={origins.map((o) => ({ value: o, label: o }))}
            initial={a.origin ?? services.defaults.origin}
            onSelect={(origin) => {
              setInstallStep('mode');
              setState((s) => advance(s, { install: 'clone', origin }));
            }}
          />
        );
      } else if (installStep === 'image') {
        body = (
          <TextField
            label="Template image:"
            initial={a.image ?? services.defaults.image}
            check={(v) => (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v) ? undefined : 'a template name such as ubuntu, debian or busybox')}
            onSubmit={(image) => {
              setInstallStep('mode');
              setState((s) => advance(s, { install: 'create', image }));
            }}
          />
        );
      } else {
        const choices = installChoices(probe, a.backing);
        body = (
          <ChoiceScreen
            title={`Install mode (${a.backing} backing)`}
            choices={choices}
            initial={preselect(choices, a.install ?? 'clone')}
            onSelect={(m) => setInstallStep(m === 'clone' ? 'origin' : 'image')}
          />
        );
      }
      break;
    }
    case 'size':
      body = (
        <ChoiceScreen
          title="Size (LVM logical volume)"
          choices={sizeChoices()}
          initial={a.size ?? 'medium'}
          onSelect={(size) => setState((s) => advance(s, { size }))}
        />
      );
      break;
    case 'mode':
      body = (
        <ChoiceScreen
          title="Salt mode"
          choices={modeChoices()}
          initial={a.mode}
          onSelect={(mode) => setState((s) => advance(s, { mode }))}
        />
      );
      break;
    case 'advanced':
      body = (
        <AdvancedScreen
          open={a.advancedOpen}
          values={a.advanced}
          nextIp={a.node ? services.nextFreeIp(a.node) : undefined}
          defaultBranch={services.defaults.branch}
          onToggle={(open) => {
            services.rememberAdvanced(open);
            setState((s) => ({ ...s, answers: { ...s.answers, advancedOpen: open } }));
          }}
          onDone={(advanced) => toReview({ ...state, answers: { ...a, advanced }, history: [...state.history, 'advanced'] })}
        />
      );
      break;
    case 'review':
      body = (
        <ReviewScreen
          name={a.name!}
          node={a.node!}
          preview={preview!}
          onAction={(action) => {
            if (action === 'back') return setState((s) => back(s));
            if (action === 'cancel') return onExit(130);
            services.write(a.node!, a.name!, entryOf(a, services.defaults)).then(
              () =>
                action === 'run'
                  ? startRun(state)
                  : (setMessage(
                      `wrote ${a.name} to ${services.pillarPath}; provision it later with: lxc-wizard --yes --pillar ${services.pillarPath} --vm ${a.name}`,
                    ),
                    onExit(0)),
              (e: Error) => setMessage(e.message),
            );
          }}
        />
      );
      break;
    case 'run':
      body = (
        <RunScreen
          store={store}
          confirmAbort={confirmAbort}
          showTime={showTime}
          onFailure={(action: FailureAction) => {
            const failed = store.get().steps.find((x) => x.state === 'failed' || x.state === 'interrupted');
            if (action === 'abort' || !failed) return onExit(1);
            const i = SEED_STEPS.indexOf(failed.name as never);
            if (action === 'retry') return startRun(state, failed.name === 'preflight' ? undefined : failed.name);
            const next = SEED_STEPS[i + 1];
            if (next) startRun(state, next);
            else setState((s) => jump(s, 'result'));
          }}
        />
      );
      break;
    case 'result': {
      const type = a.backing && a.install ? profileTypeFor(a.backing, a.install) : undefined;
      const add = [
        'lxc-wizard add',
        a.node,
        a.name,
        '--pillar',
        services.pillarPath,
        ...(type ? ['--profile-type', type] : []),
        ...(a.size && a.backing === 'lvm' ? ['--size', a.size] : []),
        ...(a.mode !== services.defaults.mode ? ['--mode', a.mode!] : []),
      ].join(' ');
      body = (
        <ResultScreen
          node={a.node!}
          name={a.name!}
          settings={services.settings(a.node!, a.name!)}
          commands={[add, `lxc-wizard --yes --pillar ${services.pillarPath} --vm ${a.name}`]}
          onExit={() => onExit(0)}
        />
      );
      break;
    }
  }
  const keys = screen === 'run' ? KEYS.run! : screen === 'result' ? KEYS.result! : screen === 'review' ? KEYS.review! : KEYS.question!;
  return (
    <Box flexDirection="column">
      <Text bold color="cyan">
        lxc-wizard · {services.pillarPath}
      </Text>
      {screen !== 'node' ? <NodeBanner node={a.node} probe={probe} /> : null}
      {/* One mount per screen: a Select must not carry its cursor from the previous question. */}
      <Box key={`${screen}:${installStep}`} marginTop={1} flexDirection="column">
        {body}
      </Box>
      {message ? <Text color="yellow">{message}</Text> : null}
      <Footer keys={keys} />
    </Box>
  );
}
