// Command line of `npm run soak`. Pure, so that it is tested without a stack.
import { FAULT_KINDS, type FaultKind } from './faults.js';

export interface SoakArgs {
  /** Window requests in all. */
  windows: number;
  namespaces: number;
  /** Seeds every choice the soak makes (faults, TRUs, durations); printed so that a run can be repeated. */
  seed: number;
  json: boolean;
  /** Fire a namespace's windows without waiting for the previous one to close (409s count as refused). */
  overlap: boolean;
  minDurationS: number;
  maxDurationS: number;
  /** Mean seconds between two injected faults. */
  faultEveryS: number;
  faults: FaultKind[];
  /**
   * Seconds a window may stay open past its end before its chain sends the next one anyway, and, once the faults are
   * cleared, that every window gets to close. A window blocked for a human stays open whatever this is.
   */
  closeTimeoutS: number;
}

export const USAGE = `usage: npm run soak -- [--windows N] [--namespaces M] [--seed S] [--json] [--overlap]
                     [--duration MIN-MAX] [--fault-every SECONDS] [--faults kind,kind,...]
  --windows N          window requests in all (default 300)
  --namespaces M       namespaces, run in parallel (default 10; every third one has a provisioned baseline of 2 TRUs)
  --seed S             seed of every random choice (default: a random one, printed)
  --json               also print the figures as ONE JSON object on the last line of stdout
  --overlap            do not wait for a namespace's window to close before the next (409s count as refused)
  --duration MIN-MAX   window length in seconds (default 2-6)
  --fault-every S      mean seconds between injected faults (default 1.5)
  --faults LIST        fault kinds to draw from (default all): ${FAULT_KINDS.join(', ')}
  --close-timeout S    seconds a window may stay open past its end before the next is sent, and that every window
                       gets to close once the faults are cleared (default 90)`;

export function parseArgs(
  argv: readonly string[],
  randomSeed: () => number = () => Math.floor(Math.random() * 2 ** 31),
): SoakArgs {
  const args: SoakArgs = {
    windows: 300,
    namespaces: 10,
    seed: Number.NaN,
    json: false,
    overlap: false,
    minDurationS: 2,
    maxDurationS: 6,
    faultEveryS: 1.5,
    faults: [...FAULT_KINDS],
    closeTimeoutS: 90,
  };
  const int = (flag: string, v: string | undefined, min: number) => {
    if (v === undefined || !/^\d+$/.test(v) || Number(v) < min) throw new Error(`${flag} needs an integer >= ${min}`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i];
    switch (a) {
      case '--windows':
        args.windows = int(a, value(), 1);
        break;
      case '--namespaces':
        args.namespaces = int(a, value(), 1);
        break;
      case '--seed':
        args.seed = int(a, value(), 0);
        break;
      case '--json':
        args.json = true;
        break;
      case '--overlap':
        args.overlap = true;
        break;
      case '--duration': {
        const m = /^(\d+)-(\d+)$/.exec(value() ?? '');
        if (!m || Number(m[1]) < 1 || Number(m[2]) < Number(m[1]))
          throw new Error('--duration needs MIN-MAX seconds, 1 <= MIN <= MAX');
        args.minDurationS = Number(m[1]);
        args.maxDurationS = Number(m[2]);
        break;
      }
      case '--fault-every': {
        const v = Number(value());
        if (!Number.isFinite(v) || v <= 0) throw new Error('--fault-every needs a positive number of seconds');
        args.faultEveryS = v;
        break;
      }
      case '--faults': {
        const list = (value() ?? '').split(',').filter(Boolean);
        const unknown = list.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k));
        if (list.length === 0 || unknown.length > 0)
          throw new Error(
            `--faults: unknown kind(s) ${unknown.join(', ') || '(none given)'}; known: ${FAULT_KINDS.join(', ')}`,
          );
        args.faults = list as FaultKind[];
        break;
      }
      case '--close-timeout':
        args.closeTimeoutS = int(a, value(), 1);
        break;
      case '--help':
      case '-h':
        throw new Error(USAGE);
      default:
        throw new Error(`unknown argument ${a}\n${USAGE}`);
    }
  }
  if (args.namespaces > args.windows) throw new Error('--namespaces cannot exceed --windows');
  if (Number.isNaN(args.seed)) args.seed = randomSeed();
  return args;
}
