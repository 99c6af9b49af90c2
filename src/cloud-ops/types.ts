import type { IdentityMsg } from './client.js';
import type { CapacityTarget, ObservedCapacity } from '../shared/index.js';

/** What GET /v1/namespaces/{namespace}/capacity shows, read from GetNamespace + GetNamespaceCapacityInfo. */
export interface NamespaceCapacityView extends ObservedCapacity {
  /** What the spec asks for, which a change that never showed up leaves different from `current`. */
  requested?: CapacityTarget | null;
  validTruValues: number[];
  maxAvailableTruValue: number | null;
  apsStats: { mean: number; p90: number; p99: number } | null;
  hasLegacyLimits: boolean;
}

/** The TRU values a namespace accepts now: all a create or a schedule needs to read, from GetNamespaceCapacityInfo alone. */
export type TruOptions = Pick<NamespaceCapacityView, 'validTruValues' | 'maxAvailableTruValue'>;

/** The outcome of checking a TRU value against a namespace's capacity info. */
export type TruCheck =
  | { ok: true }
  | { ok: false; code: 'TRU_VALUE_NOT_ALLOWED' | 'TRU_VALUE_UNAVAILABLE'; message: string; validTruValues: number[] };

/** The read side the API needs. Every method throws CloudOpsError. */
export interface CapacityReader {
  readCapacity(namespace: string): Promise<NamespaceCapacityView>;
  readTruOptions(namespace: string): Promise<TruOptions>;
  checkTrus(options: TruOptions, trus: number): TruCheck;
  /** Who our key is and what it may do (GetCurrentIdentity): succeeds only when the API accepts our key and version. */
  identity(): Promise<IdentityMsg>;
}
