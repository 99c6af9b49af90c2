// The report's CSV: RFC 4180 quoting, and no cell a spreadsheet would run as a formula.
import t from 'tap';
import { csvCell, reportCsv } from '../../src/reports/csv.js';
import type { TruHoursReport } from '../../src/reports/service.js';

t.test('cells that start like a formula get a quote; quotes, commas and newlines are quoted', async (t) => {
  t.equal(csvCell('payments.a1b2c'), 'payments.a1b2c');
  for (const c of ['=1+1', '+cmd', '-2+3', '@SUM(A1)', '\tx']) t.equal(csvCell(c), `'${c}`, c);
  t.equal(csvCell('a,b'), '"a,b"');
  t.equal(csvCell('say "hi"'), '"say ""hi"""');
  t.equal(csvCell('=x,y'), `"'=x,y"`);
  t.equal(csvCell('0.25'), '0.25', 'numbers stay numbers');
});

t.test('a header row named after the grouping, then one row per group; null keys are empty', async (t) => {
  const report = {
    groupBy: 'requestedBy',
    groups: [
      { key: null, truHours: 2, usedTruHours: 0.5, windows: 1 },
      { key: 'alice', truHours: 8, usedTruHours: 6.25, windows: 2 },
    ],
  } as unknown as TruHoursReport;
  t.equal(reportCsv(report), 'requestedBy,truHours,usedTruHours,windows\r\n,2,0.5,1\r\nalice,8,6.25,2\r\n');
});
