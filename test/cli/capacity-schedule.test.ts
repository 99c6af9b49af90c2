import t from 'tap';
import { listLines, parseCommand, resultLines, scheduleLines, type ScheduleView } from '../../src/cli/capacity-schedule.js';

t.test('create builds the POST body from flags', async (t) => {
  t.same(
    parseCommand(['create', '--namespace', 'payments.a1b2c', '--trus', '4', '--duration', 'PT10H', '--cron', '0 8 * * 1-5', '--timezone', 'Europe/Berlin', '--id', 'office-hours', '--note', 'weekdays']),
    {
      method: 'POST',
      path: '/v1/capacity-schedules',
      body: { id: 'office-hours', namespace: 'payments.a1b2c', trus: 4, duration: 'PT10H', cron: '0 8 * * 1-5', timezone: 'Europe/Berlin', note: 'weekdays' },
    },
  );
  t.same(parseCommand(['create', '--namespace', 'n.a1', '--trus', '2', '--duration', 'PT1H', '--every', 'PT6H', '--offset', 'PT1H', '--paused']), {
    method: 'POST',
    path: '/v1/capacity-schedules',
    body: { namespace: 'n.a1', trus: 2, duration: 'PT1H', interval: { every: 'PT6H', offset: 'PT1H' }, paused: true },
  });
  t.same(parseCommand(['create', '--namespace', 'n.a1', '--trus', '8', '--duration', 'PT4H', '--at', '2027-04-13T12:00:00Z']), {
    method: 'POST',
    path: '/v1/capacity-schedules',
    body: { namespace: 'n.a1', trus: 8, duration: 'PT4H', at: '2027-04-13T12:00:00Z' },
  });
  t.match(parseCommand(['create', '--namespace', 'n.a1', '--trus', '4']), { error: /--duration/ });
  t.match(parseCommand(['create', '--namespace', 'n.a1', '--trus', 'four', '--duration', 'PT1H']), { error: /--trus/ });
  t.match(parseCommand(['create', '--namespace', 'n.a1', '--trus', '4', '--duration', 'PT1H', '--offset', 'PT1M']), { error: /--every/ });
  t.match(parseCommand(['create', '--bogus']), { error: /bogus/ });
});

t.test('the other commands map to their routes', async (t) => {
  t.same(parseCommand(['list']), { method: 'GET', path: '/v1/capacity-schedules' });
  t.same(parseCommand(['show', 'office-hours']), { method: 'GET', path: '/v1/capacity-schedules/office-hours' });
  t.same(parseCommand(['pause', 'office-hours', '--note', 'holidays']), {
    method: 'POST',
    path: '/v1/capacity-schedules/office-hours/pause',
    body: { note: 'holidays' },
  });
  t.same(parseCommand(['unpause', 'office-hours']), { method: 'POST', path: '/v1/capacity-schedules/office-hours/unpause' });
  t.same(parseCommand(['trigger', 'office-hours']), { method: 'POST', path: '/v1/capacity-schedules/office-hours/trigger' });
  t.same(parseCommand(['delete', 'office-hours']), { method: 'DELETE', path: '/v1/capacity-schedules/office-hours?cancelRunning=false' });
  t.same(parseCommand(['delete', 'office-hours', '--cancel-running']), {
    method: 'DELETE',
    path: '/v1/capacity-schedules/office-hours?cancelRunning=true',
  });
  t.match(parseCommand(['show']), { error: /needs a schedule id/ });
  t.match(parseCommand(['show', 'a', 'b']), { error: /unexpected/ });
  t.match(parseCommand([]), { error: /no command/ });
  t.match(parseCommand(['explode']), { error: /unknown command/ });
});

const schedule: ScheduleView = {
  id: 'office-hours',
  namespace: 'payments.a1b2c',
  trus: 4,
  duration: 'PT10H',
  cron: '0 8 * * 1-5',
  timezone: 'Europe/Berlin',
  paused: true,
  note: 'holidays',
  nextActionTimes: ['2027-03-24T07:00:00.000Z'],
  recentActions: [{ scheduledAt: '2027-03-23T07:00:00.000Z', changeId: 'c1' }],
  runningChangeIds: ['c1'],
  actionsTaken: 1,
  actionsSkipped: 0,
};

t.test('output', async (t) => {
  t.same(scheduleLines(schedule), [
    'office-hours: payments.a1b2c 4 TRUs for PT10H, cron "0 8 * * 1-5" Europe/Berlin (PAUSED)',
    '  note: holidays',
    '  runs taken 1, skipped 0',
    '  next 2027-03-24T07:00:00.000Z',
    '  ran  2027-03-23T07:00:00.000Z c1 (running)',
  ]);
  t.match(scheduleLines({ ...schedule, cron: undefined, interval: { every: 'PT6H' }, paused: false, note: null })[0], /every PT6H$/);
  t.same(listLines([]), ['no capacity schedules']);
  t.same(listLines([{ id: 'a', namespace: 'n.a1', trus: 2, duration: 'PT1H', paused: false, nextActionTime: null }]), ['a\tn.a1\t2 TRUs\tPT1H\tnext -']);
  t.same(resultLines({ method: 'DELETE', path: '/v1/capacity-schedules/a?cancelRunning=false' }, null), ['deleted']);
  t.same(resultLines({ method: 'POST', path: '/v1/capacity-schedules', body: {} }, { id: 'a', nextActionTimes: ['t1'] }), ['a', '  next t1']);
  t.same(resultLines({ method: 'POST', path: '/v1/capacity-schedules/a/trigger' }, { id: 'a', triggeredAt: 't' }), ['a: window triggered at t']);
});
