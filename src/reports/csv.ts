// The report's groups as CSV (RFC 4180), safe to open in a spreadsheet: a cell that a spreadsheet would read as a
// formula (= + - @, tab, carriage return first) is prefixed with a quote.
import type { TruHoursReport } from './service.js';

export function reportCsv(report: TruHoursReport): string {
  const rows = [
    [report.groupBy, 'truHours', 'usedTruHours', 'windows'],
    ...report.groups.map((g) => [g.key ?? '', String(g.truHours), String(g.usedTruHours), String(g.windows)]),
  ];
  return rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) && !/^-?\d+(\.\d+)?(e-?\d+)?$/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
