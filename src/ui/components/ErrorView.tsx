import { Box, Text } from 'ink';
import { formatWhere, type ErrorReport } from '../../core/errors.js';
import { printable } from '../../core/printable.js';

/** An error as every front end shows it: the message, where it happened, and what to try. */
export function ErrorView(props: { error: ErrorReport }) {
  const { error } = props;
  const where = formatWhere(error.where);
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text color="red">
        ✗ {where ? `${printable(where)}: ` : ''}
        {printable(error.message)}
      </Text>
      {error.hint ? <Text>{`  hint: ${printable(error.hint)}`}</Text> : null}
      {error.kind === 'bug' ? <Text dimColor>{'  this is a bug in lxc-wizard: please report it'}</Text> : null}
    </Box>
  );
}
