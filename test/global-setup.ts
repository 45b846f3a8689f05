import { execFileSync } from 'node:child_process';

/** Tests that spawn the real binary or child writers need dist/ (and the bundle) as built from this tree. */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
