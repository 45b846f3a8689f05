import { ExitCode } from '../core/errors.js';
import { countBySeverity } from '../core/findings.js';
import { validatePillar } from '../core/validate.js';
import { loadPillar, pillarContext } from './context.js';
import type { CommandInput } from './spec.js';

export async function run(input: CommandInput): Promise<number> {
  const ctx = pillarContext(input);
  // A file that does not parse is itself the finding: report it, do not throw.
  const { file, rd, store } = await loadPillar(ctx, { requireParsable: false });
  const findings = validatePillar(file.model, ctx.settings.env, store, rd);
  const { errors, warnings } = countBySeverity(findings);
  if (input.values.json) {
    input.out.data(JSON.stringify({ file: file.path, ok: errors === 0, errors, warnings, findings }, null, 2));
  } else {
    for (const f of findings) input.out.finding(f, 'stdout');
    input.out.info(
      `${file.path}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'} (${file.model.vms.length} VMs on ${file.model.nodes.size} compute nodes)`,
    );
  }
  return errors ? ExitCode.FAILURE : ExitCode.OK;
}
