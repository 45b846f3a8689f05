import type { Mode } from '../core/defaults.js';

/**
 * What the VM steps need from the controller itself (this host): the salt master's pki for the
 * minion keys, and its salt commands for the ping. The app implements it over the controller's
 * files; the engine only asks, so it stays about compute nodes and their transports.
 */
export interface ControllerSide {
  /** where the master of this mode keeps its accepted minion keys (shown in messages) */
  pkiDir(mode: Mode): string;
  /** why minion keys cannot be accepted for this mode (no `<pki>/minions`), with what to do; undefined when they can */
  pkiProblem(mode: Mode): { message: string; hint: string } | undefined;
  /** the VM's public key is accepted on the master: `<pki>/minions/<vm>` exists */
  keyAccepted(vm: string, mode: Mode): Promise<boolean>;
  /**
   * The VM's minion keypair. Made when missing (RSA, as salt-cloud makes them), its public half
   * written as accepted on the master; the private half kept on the controller, mode 0600, only
   * until the bootstrap has put it in the VM. A dry run makes and writes nothing.
   */
  minionKeys(vm: string, mode: Mode, dryRun: boolean): Promise<{ pem: string; pub: string } | undefined>;
  /**
   * Start making the pair minionKeys will need for this VM, off the main thread, writing and
   * accepting nothing: spawn asks while the container is created and boots (RSA takes 100-300 ms).
   */
  prepareMinionKey(vm: string): void;
  /** the keys are in the VM now: the controller's copy of the private key goes */
  keysDelivered(vm: string): Promise<void>;
  /**
   * The bootstrap script to upload when --bootsalt-script is not given: the seed's `script`,
   * <cloud root>/makina-states/_scripts/boot-salt.sh (/srv/mastersalt or /srv/salt), if it exists.
   */
  bootstrapScript(mode: Mode): string | undefined;
  /** the `mastersalt` or `salt` command of this controller, or undefined when it has none */
  saltCommand(mode: Mode): Promise<string | undefined>;
  /** `mastersalt|salt <vm> test.ping` */
  ping(vm: string, mode: Mode, signal: AbortSignal): Promise<{ ok: boolean; output: string }>;
}
