import { Box, Text } from 'ink';
import { useEffect, type ReactElement } from 'react';
import { profileTypeFor } from '../core/profile-types.js';
import {
  backingChoices,
  imageProblem,
  initialImage,
  noBootstrapNote,
  installChoices,
  modeChoices,
  originChoices,
  preselect,
  sizeChoices,
} from '../wizard/choices.js';
import { equivalentCommands } from '../wizard/commands.js';
import type { WizardServices } from '../wizard/services.js';
import type { FailureAction, FlowContext, WizardEvent, WizardState } from '../wizard/types.js';
import { ErrorView } from './components/ErrorView.js';
import { Footer } from './components/Footer.js';
import { NodeBanner } from './components/NodeBanner.js';
import { TextField } from './components/TextField.js';
import { useWizard } from './hooks/useWizard.js';
import { useWizardKeys } from './hooks/useWizardKeys.js';
import { AdvancedScreen } from './screens/AdvancedScreen.js';
import { ChoiceScreen } from './screens/ChoiceScreen.js';
import { ExistingScreen } from './screens/ExistingScreen.js';
import { NameScreen } from './screens/NameScreen.js';
import { NodeScreen } from './screens/NodeScreen.js';
import { PrepareScreen } from './screens/PrepareScreen.js';
import { ResultScreen } from './screens/ResultScreen.js';
import { ForeignScreen } from './screens/ExistingScreen.js';
import { ReviewScreen } from './screens/ReviewScreen.js';
import { RunScreen } from './screens/RunScreen.js';

const KEYS: Record<'question' | 'text' | 'advanced' | 'reading' | 'run' | 'result', string[]> = {
  question: ['↑/↓ choose', 'Enter confirm', 'Esc back', 'Ctrl-C quit (nothing is written)'],
  // each screen's footer names the keys that screen takes: a text field has no list to move in
  text: ['type the answer (Ctrl-U clears)', 'Enter confirm', 'Esc back', 'Ctrl-C quit (nothing is written)'],
  advanced: ['a options (Ctrl-A hides)', 'Enter confirm', 'Esc back', 'Ctrl-C quit (nothing is written)'],
  reading: ['Ctrl-C quit (nothing is written)'],
  run: ['Ctrl-C abort what is running (asks first)'],
  result: ['p reveal the password', 'Enter or q quit'],
};

export interface AppProps {
  services: WizardServices;
  onExit: (code: number) => void;
  /** false in snapshot tests: elapsed times are not deterministic */
  showTime?: boolean;
  advancedOpen?: boolean;
  /** hears every event the UI sends (tests: both front ends send the same) */
  tap?: (e: WizardEvent) => void;
}

/** The wizard: the flow's state drawn one screen at a time; every key becomes an event. */
export function App({ services, onExit, showTime, advancedOpen, tap }: AppProps) {
  const { state, send, runStore } = useWizard(services, advancedOpen ?? false, tap);
  useWizardKeys(state, send);
  useEffect(() => {
    if (state.exit !== undefined) onExit(state.exit);
  }, [state.exit, onExit]);
  const ctx: FlowContext = { existing: services.existing, bootstrap: services.bootstrap };
  const a = state.answers;
  const probe = a.node ? state.probes[a.node] : undefined;

  let body: ReactElement;
  switch (state.screen) {
    case 'node':
      body = (
        <NodeScreen
          nodes={services.nodes()}
          pillar={services.pillarPath}
          initial={a.node}
          onPick={(node) => send({ type: 'pick-node', node })}
        />
      );
      break;
    case 'name':
      body = <NameScreen initial={a.name} onName={(name) => send({ type: 'name', name })} />;
      break;
    case 'foreign':
      body = <ForeignScreen name={a.name!} node={a.node!} onAction={(action) => send({ type: 'foreign', action })} />;
      break;
    case 'existing':
      body = (
        <ExistingScreen name={state.existing!.name} vm={state.existing!.vm} onAction={(action) => send({ type: 'existing', action })} />
      );
      break;
    case 'prepare':
      body = <PrepareScreen prepare={state.prepare!} onAction={(action) => send({ type: 'prepare', action })} />;
      break;
    case 'setup':
      body = (
        <RunScreen<'retry' | 'back'>
          title={`Preparing ${state.setup!.node} (node setup)`}
          store={runStore}
          failed={state.setup!.phase === 'failed'}
          logFile={state.setup!.logFile}
          confirmAbort={state.setup!.confirmAbort}
          showTime={showTime}
          choices={[
            { value: 'retry', label: 'retry node setup' },
            { value: 'back', label: 'back (choose what to do about this node)' },
          ]}
          onChoice={(action) => send({ type: 'setup-failure', action })}
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
          onSelect={(backing) => send({ type: 'backing', backing })}
        />
      );
      break;
    }
    case 'install': {
      const choices = installChoices(probe, a.backing);
      body = (
        <ChoiceScreen
          title={`Install mode (${a.backing} backing)`}
          choices={choices}
          initial={preselect(choices, a.install ?? 'clone')}
          onSelect={(install) => send({ type: 'install', install })}
        />
      );
      break;
    }
    case 'origin':
      body = (
        <ChoiceScreen
          title="Origin container (stopped containers of the node)"
          choices={originChoices(probe, services.defaults.origin)}
          initial={a.origin ?? services.defaults.origin}
          onSelect={(origin) => send({ type: 'origin', origin })}
        />
      );
      break;
    case 'image':
      body = (
        <TextField
          label="Template image:"
          initial={a.image ?? initialImage(services.defaults.image, probe)}
          check={(image) => imageProblem(image, probe)}
          hint={probe?.state === 'ok' && probe.templates?.length ? `templates on ${a.node}: ${probe.templates.join(', ')}` : undefined}
          onSubmit={(image) => send({ type: 'image', image })}
        />
      );
      break;
    case 'size':
      body = (
        <ChoiceScreen
          title="Size (LVM logical volume)"
          choices={sizeChoices(services.defaults.sizes, services.defaults.size)}
          initial={a.size ?? services.defaults.size}
          onSelect={(size) => send({ type: 'size', size })}
        />
      );
      break;
    case 'mode': {
      const choices = modeChoices(ctx);
      const none = choices.every((c) => c.value === 'none' || c.disabled);
      body = (
        <ChoiceScreen
          title="Salt mode"
          note={none ? noBootstrapNote() : undefined}
          choices={choices}
          initial={preselect(choices, a.noSalt ? 'none' : a.mode)}
          onSelect={(mode) => send({ type: 'mode', mode })}
        />
      );
      break;
    }
    case 'advanced':
      body = (
        <AdvancedScreen
          open={a.advancedOpen}
          values={a.advanced}
          nextIp={a.node && a.name ? services.ipOnWrite(a.node, a.name) : undefined}
          defaultBranch={services.defaults.branch}
          onToggle={(open) => send({ type: 'toggle-advanced', open })}
          onDone={(advanced) => send({ type: 'advanced', advanced })}
        />
      );
      break;
    case 'review':
      body = (
        <ReviewScreen
          name={a.name!}
          node={a.node!}
          preview={state.preview}
          noSalt={a.noSalt}
          onAction={(action) => send(action === 'back' ? { type: 'back' } : { type: 'review', action })}
        />
      );
      break;
    case 'run': {
      const failed = state.run!.steps.find((x) => x.state === 'failed' || x.state === 'interrupted');
      body = (
        <RunScreen<FailureAction>
          title={`Provisioning ${a.name} on ${a.node}`}
          store={runStore}
          failed={state.run!.phase === 'failed'}
          logFile={state.run!.logFile}
          confirmAbort={state.run!.confirmAbort}
          showTime={showTime}
          choices={[
            { value: 'retry', label: `retry from ${failed?.name ?? 'the start'}` },
            {
              value: 'skip',
              label: `skip ${failed?.name} and go on`,
              ...(failed?.name === 'preflight' ? { disabled: 'nothing can run without preflight' } : {}),
            },
            { value: 'abort', label: 'abort (the entry stays in the pillar; a re-run resumes here)' },
          ]}
          onChoice={(action) => send({ type: 'failure', action })}
        />
      );
      break;
    }
    case 'result':
      body = (
        <ResultScreen
          node={a.node!}
          name={a.name!}
          steps={state.run?.steps ?? []}
          settings={services.settings(a.node!, a.name!)}
          waysIn={services.waysIn(a.node!, a.name!)}
          commands={equivalentCommands(state, services)}
          onExit={() => send({ type: 'finish' })}
        />
      );
      break;
  }
  const keys =
    state.screen === 'run' || state.screen === 'setup'
      ? KEYS.run
      : state.screen === 'result'
        ? KEYS.result
        : state.screen === 'node' && !services.nodes()
          ? KEYS.reading
          : state.screen === 'name' || state.screen === 'image'
            ? KEYS.text
            : state.screen === 'advanced'
              ? KEYS.advanced
              : KEYS.question;
  return (
    <Box flexDirection="column">
      <Text bold color="cyan">
        lxc-wizard · {services.pillarPath}
      </Text>
      {state.screen !== 'node' ? <NodeBanner node={a.node} probe={probe} /> : null}
      {/* One mount per screen: a list must not carry its cursor from the previous question. */}
      <Box key={screenKey(state)} marginTop={1} flexDirection="column">
        {body}
      </Box>
      {state.error ? <ErrorView error={state.error} /> : null}
      {state.notice ? <Text color="green">{state.notice}</Text> : null}
      <Footer keys={keys} />
    </Box>
  );
}

/** A new key when the question changes, so each screen starts fresh (the same screen twice: edit then back). */
function screenKey(s: WizardState): string {
  const type = s.answers.backing && s.answers.install ? profileTypeFor(s.answers.backing, s.answers.install) : '';
  return `${s.screen}:${s.history.length}:${s.screen === 'install' ? type : ''}`;
}
