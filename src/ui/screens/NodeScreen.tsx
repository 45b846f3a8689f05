import { Box, Text } from 'ink';
import { useState } from 'react';
import { printable } from '../../core/printable.js';
import { nodeChoices, nodeNameProblem } from '../../wizard/choices.js';
import type { NodeChoice } from '../../wizard/types.js';
import { Select } from '../components/Select.js';
import { TextField } from '../components/TextField.js';

const OTHER = '\u0000other';

/**
 * The compute nodes of the pillar (narrowed as you type when there are many), or another host;
 * while the pillar is still read (nodes undefined), which file.
 */
export function NodeScreen(props: { nodes: NodeChoice[] | undefined; pillar: string; initial?: string; onPick: (node: string) => void }) {
  const [typing, setTyping] = useState(false);
  if (!props.nodes)
    return (
      <Box flexDirection="column">
        <Text bold>Compute node</Text>
        <Text dimColor>reading {printable(props.pillar)}…</Text>
      </Box>
    );
  if (typing)
    return (
      <TextField label="Compute node (minion id):" check={(v) => (v ? nodeNameProblem(v) : 'type the node id')} onSubmit={props.onPick} />
    );
  return (
    <Box flexDirection="column">
      <Text bold>Compute node</Text>
      <Select
        choices={[...nodeChoices(props.nodes), { value: OTHER, label: 'another host…' }]}
        initial={props.initial}
        onSelect={(v) => (v === OTHER ? setTyping(true) : props.onPick(v))}
      />
    </Box>
  );
}
