// Our custom search attributes on the workflow namespace: which are missing, and the start-up step that adds
// them on a self-hosted Temporal or refuses to start, with the exact command, where it cannot (Temporal Cloud).
import { status as GrpcStatus } from '@grpc/grpc-js';
import { isGrpcServiceError, type Connection } from '@temporalio/client';
import proto, { type temporal } from '@temporalio/proto';
import type { Logger } from 'pino';
import { searchAttributeRegistrations } from '../shared/search-attributes.js';

export type SearchAttributeTypeName = 'Keyword' | 'Int' | 'Datetime';

export interface SearchAttributeSpec {
  name: string;
  type: SearchAttributeTypeName;
}

const { IndexedValueType } = proto.temporal.api.enums.v1;
const INDEXED_TYPE: Record<SearchAttributeTypeName, temporal.api.enums.v1.IndexedValueType> = {
  Keyword: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  Int: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  Datetime: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
};

/**
 * Which of our search attributes a namespace lacks, given the names it has (the `customAttributes` of
 * OperatorService.ListSearchAttributes, or any map or list of names). Pure, for the start-up step and preflight.
 */
export function missingSearchAttributes(
  registered: Iterable<string> | Readonly<Record<string, unknown>>,
): SearchAttributeSpec[] {
  const names = new Set(Symbol.iterator in registered ? (registered as Iterable<string>) : Object.keys(registered));
  return Object.entries(searchAttributeRegistrations())
    .filter(([name]) => !names.has(name))
    .map(([name, type]) => ({ name, type }));
}

/**
 * Temporal Cloud's endpoints: a namespace's own (`<ns>.<account>.tmprl.cloud`) and the regional ones API keys use
 * (`<region>.<cloud>.api.temporal.io`). Told by the address because TLS, mTLS and API keys exist on both sides.
 */
export function isTemporalCloudAddress(address: string): boolean {
  const host = address.replace(/:\d+$/, '').replace(/\.$/, '').toLowerCase();
  return host.endsWith('.tmprl.cloud') || host.endsWith('.api.temporal.io');
}

/** The one command that adds the missing attributes where we cannot: tcld on Temporal Cloud, else the CLI. */
export function addSearchAttributesCommand(
  where: 'cloud' | { address: string },
  namespace: string,
  missing: SearchAttributeSpec[],
): string {
  if (where === 'cloud') {
    return `tcld namespace search-attributes add -n ${namespace} ${missing.map((a) => `--sa "${a.name}=${a.type}"`).join(' ')}`;
  }
  return `temporal operator search-attribute create --address ${where.address} --namespace ${namespace} ${missing.map((a) => `--name ${a.name} --type ${a.type}`).join(' ')}`;
}

export type SearchAttributeDecision =
  { action: 'none' } | { action: 'add' } | { action: 'refuse'; reason: string; command: string };

/**
 * What to do about the missing attributes. `addError` is AddSearchAttributes' failure, when it was tried: a server
 * that answers PERMISSION_DENIED (an authorizer that does not let us) or UNIMPLEMENTED cannot be fixed by us.
 */
export function decideSearchAttributes(input: {
  address: string;
  namespace: string;
  missing: SearchAttributeSpec[];
  addError?: unknown;
}): SearchAttributeDecision {
  const { address, namespace, missing, addError } = input;
  if (missing.length === 0) return { action: 'none' };
  const names = missing.map((a) => a.name).join(', ');
  if (isTemporalCloudAddress(address)) {
    return {
      action: 'refuse',
      reason: `Temporal namespace ${namespace} lacks the custom search attributes ${names}, and on Temporal Cloud only a Namespace Admin can add them`,
      command: addSearchAttributesCommand('cloud', namespace, missing),
    };
  }
  if (addError === undefined) return { action: 'add' };
  const code = isGrpcServiceError(addError) ? addError.code : null;
  if (code === GrpcStatus.PERMISSION_DENIED || code === GrpcStatus.UNIMPLEMENTED) {
    return {
      action: 'refuse',
      reason: `Temporal namespace ${namespace} lacks the custom search attributes ${names}, and ${address} refused to add them (${GrpcStatus[code]})`,
      command: addSearchAttributesCommand({ address }, namespace, missing),
    };
  }
  throw addError;
}

/** The service cannot start: our search attributes are missing where it may not add them. */
export class SearchAttributesRefusal extends Error {
  constructor(
    message: string,
    readonly command: string,
  ) {
    super(message);
    this.name = 'SearchAttributesRefusal';
  }
}

/**
 * Start-up step of the worker and API roles: adds the missing attributes on a self-hosted Temporal (logging
 * which), or throws SearchAttributesRefusal naming the command that adds them.
 */
export async function ensureSearchAttributes(opts: {
  connection: Connection;
  address: string;
  namespace: string;
  logger: Logger;
}): Promise<void> {
  const { connection, address, namespace, logger } = opts;
  const listMissing = async () => missingSearchAttributes(await registeredSearchAttributes(connection, namespace));
  const missing = await listMissing();
  let decision = decideSearchAttributes({ address, namespace, missing });
  if (decision.action === 'add') {
    const addError = await connection.operatorService
      .addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing.map((a) => [a.name, INDEXED_TYPE[a.type]])),
      })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    // The API and the worker start side by side: the other may have added them first.
    const stillMissing = addError === undefined ? [] : await listMissing();
    decision = decideSearchAttributes({ address, namespace, missing: stillMissing, addError });
    if (decision.action === 'none') await untilQueryable(connection, namespace, missing);
    if (addError === undefined) {
      logger.info(
        { namespace, added: missing },
        'added the missing custom search attributes to the Temporal namespace',
      );
    }
  }
  if (decision.action === 'refuse') throw new SearchAttributesRefusal(decision.reason, decision.command);
}

/**
 * The custom search attribute names the namespace has, from the operator service; where that is refused
 * (PERMISSION_DENIED or UNIMPLEMENTED, as a namespace-scoped key may be), those of ours that a visibility query
 * accepts, which needs only the right to list workflows.
 */
export async function registeredSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  try {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    return Object.keys(customAttributes ?? {});
  } catch (err) {
    if (!isGrpcServiceError(err) || ![GrpcStatus.PERMISSION_DENIED, GrpcStatus.UNIMPLEMENTED].includes(err.code))
      throw err;
  }
  return searchAttributesAcceptedByQuery(connection, namespace);
}

/** Those of our search attributes that a visibility query on the namespace accepts. */
export async function searchAttributesAcceptedByQuery(connection: Connection, namespace: string): Promise<string[]> {
  const ours = missingSearchAttributes([]);
  const accepted = await Promise.all(ours.map((a) => queryAccepts(connection, namespace, [a])));
  return ours.filter((_, i) => accepted[i]).map((a) => a.name);
}

/** Whether a visibility query naming these attributes is accepted: INVALID_ARGUMENT when one is unknown. */
async function queryAccepts(connection: Connection, namespace: string, attrs: SearchAttributeSpec[]): Promise<boolean> {
  const query = attrs.map((a) => `${a.name} = ${SAMPLE_VALUE[a.type]}`).join(' OR ');
  try {
    await connection.workflowService.countWorkflowExecutions({ namespace, query });
    return true;
  } catch (err) {
    if (isGrpcServiceError(err) && err.code === GrpcStatus.INVALID_ARGUMENT) return false;
    throw err;
  }
}

const USABLE_TIMEOUT_MS = 60_000;
const SAMPLE_VALUE: Record<SearchAttributeTypeName, string> = {
  Keyword: "''",
  Int: '0',
  Datetime: '"1970-01-01T00:00:00Z"',
};

/**
 * The server lists new attributes at once but refuses them in workflows until its namespace cache refreshes
 * (about a second on the dev server): a visibility query naming them is refused the same way, and writes nothing.
 */
async function untilQueryable(connection: Connection, namespace: string, added: SearchAttributeSpec[]): Promise<void> {
  const deadline = Date.now() + USABLE_TIMEOUT_MS;
  while (!(await queryAccepts(connection, namespace, added))) {
    if (Date.now() > deadline) {
      throw new Error(`Temporal still refuses the search attributes added ${USABLE_TIMEOUT_MS / 1000} s ago`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
