import { Box, Text, useInput } from 'ink';
import { useEffect, useState } from 'react';
import { NOT_DONE_MEANS, readiness, STEP_STATE_WORDS, type StepName } from '../../core/steps.js';
import type { EquivalentCommand } from '../../wizard/commands.js';
import type { StepOutcome } from '../../wizard/types.js';

/**
 * The whole truth about the VM: "ready" only when every step ran or was found in place, otherwise
 * each step that did not and what that leaves undone; the settings card, the ways in, and the
 * commands that do the same without the wizard.
 */
export function ResultScreen(props: {
  node: string;
  name: string;
  steps: StepOutcome[];
  settings: Record<string, unknown>;
  /** the ways in, each as printed works (core/ways-in.ts), and their ~/.ssh/config stanza */
  waysIn: { lines: string[]; stanza?: string };
  commands: EquivalentCommand[];
  onExit: () => void;
}) {
  const [reveal, setReveal] = useState(false);
  const [leaving, setLeaving] = useState(false);
  // A revealed password must not stay on the terminal once the wizard ends: the last frame is
  // drawn again with it hidden, then the wizard exits (Ink leaves its last frame in place).
  useEffect(() => {
    if (leaving) props.onExit();
  }, [leaving, props]);
  useInput((input, key) => {
    if (leaving) return;
    if (input === 'p') setReveal((r) => !r);
    else if (input === 'q' || key.return) {
      setReveal(false);
      setLeaving(true);
    }
  });
  const s = props.settings;
  const { ready, notDone } = readiness(props.steps);
  const passwordSet = !notDone.some((x) => x.name === 'initial_setup' || x.name === 'spawn');
  const card: [string, unknown][] = [
    ['ip', s.ip],
    ['mac', s.mac],
    ['gateway', s.gateway],
    ['ssh_reverse_proxy_port', s.ssh_reverse_proxy_port],
    ['password', reveal ? s.password : `******** (p to reveal)${passwordSet ? '' : '  not set in the container'}`],
  ];
  return (
    <Box flexDirection="column">
      {ready ? (
        <Text bold color="green">
          {props.name} is ready on {props.node}
        </Text>
      ) : (
        <Box flexDirection="column">
          <Text bold color="yellow">
            {props.name} is provisioned on {props.node} with {notDone.length} step{notDone.length === 1 ? '' : 's'} not done
          </Text>
          {notDone.map((x) => (
            <Text key={x.name} color="yellow">
              {'  '}
              {x.name}: {STEP_STATE_WORDS[x.state]}
              {x.reason ? ` (${x.reason})` : ''}
              {NOT_DONE_MEANS[x.name as StepName] ? `: ${NOT_DONE_MEANS[x.name as StepName]}` : ''}
            </Text>
          ))}
        </Box>
      )}
      <Box flexDirection="column" marginLeft={2}>
        {card.map(([k, v]) => (
          <Text key={k}>
            {k.padEnd(24)}
            {String(v ?? '')}
          </Text>
        ))}
      </Box>
      <Text bold>Reach it{notDone.some((x) => x.name === 'reachable') ? ' (not checked: see above)' : ''}</Text>
      {props.waysIn.lines
        .filter((l) => !(l.includes(' -p ') && notDone.some((x) => x.name === 'reverse_proxy')))
        .map((l) => (
          <Text key={l}> {l}</Text>
        ))}
      {props.waysIn.stanza ? (
        <>
          <Text bold>~/.ssh/config</Text>
          <Text>{props.waysIn.stanza.replace(/^/gm, '  ')}</Text>
        </>
      ) : null}
      <Text bold>The same, without the wizard</Text>
      {props.commands.map((c) => (
        <Box key={c.line} flexDirection="column">
          <Text> {c.line}</Text>
          {c.note ? <Text dimColor> {c.note}</Text> : null}
        </Box>
      ))}
    </Box>
  );
}
