// Which search attributes are missing, and what the start-up step decides about them, without a server: the
// decision is a pure function of the address and of AddSearchAttributes' answer (a gRPC error as grpc-js makes it).
import { Metadata, status } from '@grpc/grpc-js';
import t from 'tap';
import {
  decideSearchAttributes,
  isTemporalCloudAddress,
  missingSearchAttributes,
} from '../src/temporal/search-attributes.js';
import { searchAttributeRegistrations } from '../src/shared/search-attributes.js';

const ours = Object.keys(searchAttributeRegistrations());

function grpcError(code: status, details: string): Error {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata: new Metadata() });
}

t.test('missingSearchAttributes: ours minus what the namespace has, as a map or a list of names', async (t) => {
  t.equal(missingSearchAttributes({}).length, ours.length);
  t.same(missingSearchAttributes(ours), []);
  t.same(
    missingSearchAttributes({ CapacityNamespace: 2, CapacityTrus: 3, Other: 2 }).map((a) => a.name),
    ours.filter((n) => n !== 'CapacityNamespace' && n !== 'CapacityTrus'),
  );
  t.same(
    missingSearchAttributes(['CapacityStartAt']).find((a) => a.name === 'CapacityEndAt'),
    {
      name: 'CapacityEndAt',
      type: 'Datetime',
    },
  );
});

t.test('isTemporalCloudAddress: namespace and regional API-key endpoints, nothing else', async (t) => {
  t.ok(isTemporalCloudAddress('ops.a1b2c.tmprl.cloud:7233'));
  t.ok(isTemporalCloudAddress('us-east-1.aws.api.temporal.io:7233'));
  t.notOk(isTemporalCloudAddress('temporal:7233'));
  t.notOk(isTemporalCloudAddress('127.0.0.1:7233'));
  t.notOk(isTemporalCloudAddress('tmprl.cloud.example.com:7233'));
});

const missing = missingSearchAttributes(['CapacityNamespace', 'CapacityTrus', 'CapacityPhase', 'CapacityRequestedBy']);

t.test('nothing missing: nothing to do, wherever the server is', async (t) => {
  t.same(decideSearchAttributes({ address: 'ops.a1b2c.tmprl.cloud:7233', namespace: 'ops.a1b2c', missing: [] }), {
    action: 'none',
  });
});

t.test('Temporal Cloud: refuses before trying, with the tcld command for exactly what is missing', async (t) => {
  const d = decideSearchAttributes({ address: 'ops.a1b2c.tmprl.cloud:7233', namespace: 'ops.a1b2c', missing });
  t.equal(d.action, 'refuse');
  if (d.action !== 'refuse') return;
  t.equal(
    d.command,
    'tcld namespace search-attributes add -n ops.a1b2c --sa "CapacityScheduleId=Keyword" ' +
      '--sa "CapacityStartAt=Datetime" --sa "CapacityEndAt=Datetime"',
  );
  t.match(d.reason, /CapacityScheduleId, CapacityStartAt, CapacityEndAt/);
});

t.test(
  'self-hosted: adds; refuses with the CLI command when the server answers PERMISSION_DENIED or UNIMPLEMENTED',
  async (t) => {
    const input = { address: 'temporal:7233', namespace: 'default', missing };
    t.same(decideSearchAttributes(input), { action: 'add' });
    for (const code of [status.PERMISSION_DENIED, status.UNIMPLEMENTED]) {
      const d = decideSearchAttributes({ ...input, addError: grpcError(code, 'no') });
      t.equal(d.action, 'refuse', status[code]);
      if (d.action !== 'refuse') continue;
      t.equal(
        d.command,
        'temporal operator search-attribute create --address temporal:7233 --namespace default --name CapacityScheduleId --type Keyword ' +
          '--name CapacityStartAt --type Datetime --name CapacityEndAt --type Datetime',
      );
      t.match(d.reason, status[code]);
    }
  },
);

t.test('self-hosted: any other failure to add is not a refusal: it is thrown as it came', async (t) => {
  const unavailable = grpcError(status.UNAVAILABLE, 'down');
  t.throws(
    () => decideSearchAttributes({ address: 'temporal:7233', namespace: 'default', missing, addError: unavailable }),
    unavailable,
  );
});
