import t from 'tap';
import { StopList } from '../src/stop-list.js';

t.test(
  'StopList: the last started stops first, a failing stop is reported and the rest still stop, once',
  async (t) => {
    const order: string[] = [];
    const errors: unknown[] = [];
    const stops = new StopList((err) => errors.push(err));
    stops.push(async () => order.push('server'));
    stops.push(async () => {
      order.push('emulator');
      throw new Error('emulator would not close');
    });
    stops.push(async () => order.push('client'));
    await stops.stopAll();
    t.same(order, ['client', 'emulator', 'server']);
    t.equal(errors.length, 1);
    t.match((errors[0] as Error).message, /emulator would not close/);
    await stops.stopAll();
    t.same(order, ['client', 'emulator', 'server'], 'a second stopAll stops nothing again');
  },
);
