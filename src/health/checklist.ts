// The preflight as people read it: one line per check, and the fix under each failed one. Shared by
// `capacityctl doctor` and the start-up log, so both say the same thing.
import type { Diagnostics } from '../api/routes/diagnostics/schema.js';

export function checklistLines(d: Diagnostics): string[] {
  const failed = d.checks.filter((c) => !c.ok).length;
  return [
    ...d.checks.flatMap((c) => [
      `${c.ok ? '[ok]' : '[FAIL]'} ${c.name}: ${c.detail}`,
      ...(c.fix === null ? [] : [`  fix: ${c.fix}`]),
    ]),
    failed === 0 ? `all ${d.checks.length} checks passed` : `${failed} of ${d.checks.length} checks failed`,
  ];
}
