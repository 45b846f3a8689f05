import { Box, Text } from 'ink';
import type { NodeProbe } from '../../wizard/types.js';

/** What the background probe found about the picked node. */
export function NodeBanner(props: { node?: string; probe?: NodeProbe }) {
  const { node, probe } = props;
  if (!node) return null;
  if (!probe || probe.state === 'probing') return <Text dimColor>node {node}: reaching it…</Text>;
  if (probe.state === 'error')
    return (
      <Box flexDirection="column">
        <Text color="yellow">
          node {node}: not reachable ({probe.error})
        </Text>
        {probe.hint ? <Text dimColor>{`  hint: ${probe.hint}`}</Text> : null}
      </Box>
    );
  if (!probe.lxcVersion)
    return (
      <Text color="yellow">
        node {node}: not ready ({probe.missing.join('; ')})
      </Text>
    );
  const free = probe.freeKb !== undefined ? `, ${(probe.freeKb / 1024 / 1024).toFixed(1)} GiB free` : '';
  return (
    <Text dimColor>
      node {node}: LXC {probe.lxcVersion}
      {free}, stopped containers: {probe.stopped.length ? probe.stopped.join(', ') : 'none'}
      {probe.volumeGroups.length ? `, volume groups: ${probe.volumeGroups.join(', ')}` : ''}
      {probe.missing.length ? `; not ready: ${probe.missing.join('; ')}` : ''}
    </Text>
  );
}
