import { Box, Text, useInput } from 'ink';
import { useState } from 'react';

/** The settings card, how to reach the VM, and the equivalent non-interactive command. */
export function ResultScreen(props: {
  node: string;
  name: string;
  settings: Record<string, unknown>;
  commands: string[];
  onExit: () => void;
}) {
  const [reveal, setReveal] = useState(false);
  useInput((input, key) => {
    if (input === 'p') setReveal((r) => !r);
    else if (input === 'q' || key.return) props.onExit();
  });
  const s = props.settings;
  const card: [string, unknown][] = [
    ['ip', s.ip],
    ['mac', s.mac],
    ['gateway', s.gateway],
    ['ssh_reverse_proxy_port', s.ssh_reverse_proxy_port],
    ['password', reveal ? s.password : '******** (p to reveal)'],
  ];
  const gwUser = String(s.ssh_gateway_user ?? 'root');
  return (
    <Box flexDirection="column">
      <Text bold color="green">
        {props.name} is ready on {props.node}
      </Text>
      <Box flexDirection="column" marginLeft={2}>
        {card.map(([k, v]) => (
          <Text key={k}>
            {k.padEnd(24)}
            {String(v ?? '')}
          </Text>
        ))}
      </Box>
      <Text bold>Reach it</Text>
      <Text>
        {' '}
        ssh -J {gwUser}@{props.node} root@{String(s.ip)}
      </Text>
      <Text bold>~/.ssh/config</Text>
      <Text>{`  Host ${props.name}\n    HostName ${String(s.ip)}\n    User root\n    ProxyJump ${gwUser}@${props.node}`}</Text>
      <Text bold>The same, without the wizard</Text>
      {props.commands.map((c) => (
        <Text key={c}> {c}</Text>
      ))}
    </Box>
  );
}
