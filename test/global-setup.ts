import { execFileSync } from 'node:child_process';

/** Tests that spawn the real binary or child writers need dist/ as built from this tree. */
export default function setup(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
}
