import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';

/**
 * Custom search attributes every window carries, for listing through Temporal visibility. They must be
 * registered on the Temporal namespace: the service adds them at start on a self-hosted server, and refuses
 * to start on Temporal Cloud until they are added (src/temporal/search-attributes.ts).
 */
export const SA = {
  namespace: defineSearchAttributeKey('CapacityNamespace', SearchAttributeType.KEYWORD),
  trus: defineSearchAttributeKey('CapacityTrus', SearchAttributeType.INT),
  phase: defineSearchAttributeKey('CapacityPhase', SearchAttributeType.KEYWORD),
  requestedBy: defineSearchAttributeKey('CapacityRequestedBy', SearchAttributeType.KEYWORD),
  scheduleId: defineSearchAttributeKey('CapacityScheduleId', SearchAttributeType.KEYWORD),
  startAt: defineSearchAttributeKey('CapacityStartAt', SearchAttributeType.DATETIME),
  endAt: defineSearchAttributeKey('CapacityEndAt', SearchAttributeType.DATETIME),
} as const;

const CLI_TYPE: Readonly<Record<string, 'Keyword' | 'Int' | 'Datetime'>> = {
  [SearchAttributeType.KEYWORD]: 'Keyword',
  [SearchAttributeType.INT]: 'Int',
  [SearchAttributeType.DATETIME]: 'Datetime',
};

/** The same list in the form `temporal server start-dev --search-attribute NAME=TYPE` takes. */
export function searchAttributeRegistrations(): Record<string, 'Keyword' | 'Int' | 'Datetime'> {
  return Object.fromEntries(Object.values(SA).map((k) => [k.name, CLI_TYPE[k.type]]));
}
