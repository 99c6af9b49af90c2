// The Cloud Ops API's documented account limits, as the emulator enforces them: at most N async operations in
// flight per account and at most M requests per second. Past them the real API's answer is not documented; the
// emulator answers RESOURCE_EXHAUSTED with the reason, which is what the SDK's retries would otherwise hide.

export interface AccountLimitOptions {
  /** Async operations in flight per account (0: no limit). */
  maxOperationsPerAccount: number;
  /** Requests per second per account (0: no limit). */
  maxRequestsPerSecond: number;
}

export const DEFAULT_ACCOUNT_LIMITS: AccountLimitOptions = { maxOperationsPerAccount: 10, maxRequestsPerSecond: 80 };

/** What GET /stats reports for one account. */
export interface AccountStats {
  /** The most async operations seen in flight at once. */
  maxOperationsInFlight: number;
  /** Requests answered (refused ones included). */
  requests: number;
  /** Requests refused for the account's limits (operations in flight or requests per second). */
  refusedForLimits: number;
}

/** The account of a namespace id `<name>.<account>`. */
export function accountOf(namespace: string): string {
  const dot = namespace.lastIndexOf('.');
  return dot < 0 ? namespace : namespace.slice(dot + 1);
}

export class AccountLimits {
  private readonly stats = new Map<string, AccountStats>();
  /** Per account, the times of the requests of the last second. */
  private readonly recent = new Map<string, number[]>();

  constructor(
    private readonly options: AccountLimitOptions,
    private readonly now: () => number,
  ) {}

  /** Counts one request; returns the refusal when the account is past its requests per second. */
  admitRequest(account: string): string | null {
    const stats = this.of(account);
    stats.requests++;
    const now = this.now();
    const times = (this.recent.get(account) ?? []).filter((t) => t > now - 1000);
    this.recent.set(account, times);
    const max = this.options.maxRequestsPerSecond;
    if (max > 0 && times.length >= max) {
      stats.refusedForLimits++;
      return `rate limit exceeded: more than ${max} requests per second for account ${account}`;
    }
    times.push(now);
    return null;
  }

  /** Before a new operation: the refusal when `inFlight` operations already run for the account. */
  admitOperation(account: string, inFlight: number): string | null {
    const max = this.options.maxOperationsPerAccount;
    if (max > 0 && inFlight >= max) {
      this.of(account).refusedForLimits++;
      return `too many concurrent async operations for account ${account} (limit ${max})`;
    }
    return null;
  }

  /** After a new operation started: `inFlight` now run for the account. */
  sawInFlight(account: string, inFlight: number): void {
    const stats = this.of(account);
    stats.maxOperationsInFlight = Math.max(stats.maxOperationsInFlight, inFlight);
  }

  snapshot(): Record<string, AccountStats> {
    return Object.fromEntries([...this.stats].map(([account, s]) => [account, { ...s }]));
  }

  private of(account: string): AccountStats {
    let stats = this.stats.get(account);
    if (!stats) {
      stats = { maxOperationsInFlight: 0, requests: 0, refusedForLimits: 0 };
      this.stats.set(account, stats);
    }
    return stats;
  }
}
