import { Box, Text } from 'ink';

/** The keys that work on this screen. */
export function Footer(props: { keys: string[] }) {
  return (
    <Box marginTop={1}>
      <Text dimColor>{props.keys.join('  ·  ')}</Text>
    </Box>
  );
}
