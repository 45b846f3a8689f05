import { Box, Text } from 'ink';
import type { Preview } from '../../wizard/services.js';
import { Select } from '../components/Select.js';
import { reviewValue, settingApplies } from '../../wizard/choices.js';

export type ReviewChoice = 'run' | 'write' | 'back' | 'cancel';

const SHOWN = [
  'profile_type',
  'backing',
  'from_container',
  'image',
  'size',
  'mode',
  'master',
  'master_port',
  'ip',
  'mac',
  'password',
  'gateway',
  'bridge',
  'bootsalt_branch',
  'snapshot',
  'autostart',
  'ssh_reverse_proxy_port',
];

/** Everything that will happen, before anything does: profile, settings, warnings, the exact diff. */
export function ReviewScreen(props: {
  name: string;
  node: string;
  preview?: Preview;
  noSalt: boolean;
  onAction: (a: ReviewChoice) => void;
}) {
  const { preview } = props;
  if (!preview) return <Text dimColor>computing the entry and its settings…</Text>;
  // an edit that changes nothing: nothing to write, the run is what is left to choose
  const unchanged = preview.diff.trim() === '';
  return (
    <Box flexDirection="column">
      <Text bold>
        Review: {props.name} on {props.node}
      </Text>
      <Text>
        profile <Text bold>{preview.profile}</Text>
        {props.noSalt ? '  (no salt: the bootstrap and the highstate are skipped)' : ''}
      </Text>
      <Box flexDirection="column" marginLeft={2}>
        {SHOWN.filter((k) => k in preview.settings && settingApplies(k, preview.settings.profile_type, props.noSalt)).map((k) => (
          <Text key={k}>
            {k.padEnd(24)}
            {reviewValue(preview.settings[k])}
          </Text>
        ))}
      </Box>
      {preview.warnings.map((w) => (
        <Text key={w} color="yellow">
          ! {w}
        </Text>
      ))}
      {preview.errors.map((e) => (
        <Text key={e} color="red">
          ✗ {e}
        </Text>
      ))}
      <Text bold>Pillar change</Text>
      {unchanged ? <Text dimColor> no change to the pillar</Text> : null}
      <Box flexDirection="column" marginLeft={2}>
        {preview.diff
          .split('\n')
          .filter(Boolean)
          .map((l, i) => (
            <Text
              key={i}
              color={l.startsWith('+') && !l.startsWith('+++') ? 'green' : l.startsWith('-') && !l.startsWith('---') ? 'red' : undefined}
            >
              {l}
            </Text>
          ))}
      </Box>
      <Select<ReviewChoice>
        choices={[
          {
            value: 'run',
            label: unchanged ? 'run (nothing to write)' : 'write and run',
            ...(preview.errors.length ? { disabled: 'fix the errors first' } : {}),
          },
          {
            value: 'write',
            label: 'write only',
            ...(preview.errors.length ? { disabled: 'fix the errors first' } : unchanged ? { disabled: 'nothing to write' } : {}),
          },
          { value: 'back', label: 'back' },
          { value: 'cancel', label: 'cancel (nothing is written)' },
        ]}
        onSelect={props.onAction}
      />
    </Box>
  );
}
