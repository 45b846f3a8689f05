import { resolve } from 'node:path';
import { ExitCode } from '../core/errors.js';
import { countBySeverity, plural } from '../core/findings.js';
import { validateWorkspace } from '../app/validate.js';
import { openWorkspace } from '../app/workspace.js';
import { flag, pathFlag, workspaceOptions } from './options.js';
import type { CommandInput } from './types.js';

export async function run(input: CommandInput): Promise<number> {
  const ws = await openWorkspace(workspaceOptions(input));
  const { file, findings } = await validateWorkspace(
    ws,
    input.args.map((a) => resolve(input.io.cwd, a)),
    pathFlag(input, 'cloud-dir'),
  );
  const { errors, warnings, infos } = countBySeverity(findings);
  if (flag(input, 'json')) {
    input.out.document({ file: file.path, ok: errors === 0, errors, warnings, infos, findings });
  } else {
    for (const f of findings) input.out.finding(f, 'stdout');
    const counts = [plural(errors, 'error'), plural(warnings, 'warning'), ...(infos ? [plural(infos, 'note')] : [])].join(', ');
    input.out.info(`${file.path}: ${counts} (${plural(file.model.vms.length, 'VM')} on ${plural(file.model.nodes.size, 'compute node')})`);
  }
  return errors ? ExitCode.FAILURE : ExitCode.OK;
}
