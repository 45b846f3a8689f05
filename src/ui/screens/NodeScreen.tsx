import { Box, Text } from 'ink';
import { useState } from 'react';
import { nodeNameProblem } from '../../wizard/machine.js';
import type { NodeChoice } from '../../wizard/types.js';
import { Select } from '../components/Select.js';
import { TextField } from '../components/TextField.js';

const OTHER = '\u0000other';

export function NodeScreen(props: { nodes: NodeChoice[]; initial?: string; onPick: (node: string) => void }) {
  const [typing, setTyping] = useState(false);
  if (typing)
    return (
      <TextField label="Compute node (minion id):" check={(v) => (v ? nodeNameProblem(v) : 'type the node id')} onSubmit={props.onPick} />
    );
  const choices = [
    ...props.nodes.map((n) => ({ value: n.name, label: `${n.name}  (${n.vmCount} VM${n.vmCount === 1 ? '' : 's'})` })),
    { value: OTHER, label: 'another host…' },
  ];
  return (
    <Box flexDirection="column">
      <Text bold>Compute node</Text>
      <Select choices={choices} initial={props.initial} onSelect={(v) => (v === OTHER ? setTyping(true) : props.onPick(v))} />
    </Box>
  );
}
