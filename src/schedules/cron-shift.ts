// Shifting a 5-field cron earlier by a whole number of minutes, so that a schedule fires PROVISIONING_LEAD before
// each run the user asked for. Pure. Only crons that checkCron accepted come here.

export type CronShift = { cron: string } | { refused: string };

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const MINUTES_PER_DAY = 24 * 60;

/** The values a cron field matches, within [min, max]; names (sun, mon, ...) per `names`. */
function expand(field: string, min: number, max: number, names: string[] = []): Set<number> {
  const value = (text: string) => (/^\d+$/.test(text) ? Number(text) : names.indexOf(text.toLowerCase()));
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const [range, step] = part.split('/');
    const [from, to] = range === '*' ? [min, max] : range.split('-').map(value);
    // "5/15" runs from 5 to the field's end; "5" alone is just 5.
    const last = to ?? (step === undefined ? from : max);
    for (let v = from; v <= last; v += Number(step ?? 1)) values.add(v);
  }
  return values;
}

/** A field back as text: `*` when it matches everything, else a list with runs of three or more as ranges. */
function write(values: Set<number>, min: number, max: number): string {
  if (values.size === max - min + 1) return '*';
  const sorted = [...values].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j - i >= 2 ? `${sorted[i]}-${sorted[j]}` : sorted.slice(i, j + 1).join(','));
    i = j + 1;
  }
  return parts.join(',');
}

/** The cron's run times of day, in minutes after midnight. */
export function runMinutesOfDay(cron: string): number[] {
  const [minute, hour] = cron.trim().split(/\s+/);
  const times: number[] = [];
  for (const h of expand(hour, 0, 23)) for (const m of expand(minute, 0, 59)) times.push(h * 60 + m);
  return times;
}

/**
 * The cron whose fire times are those of `cron` less `leadMinutes` (1 to 1439), or why no 5-field cron can say
 * that. Times of day move freely; a run that moves to the day before needs day fields that can move with it.
 */
export function shiftCronEarlier(cron: string, leadMinutes: number): CronShift {
  const [, , dayOfMonth, month, dayOfWeek] = cron.trim().split(/\s+/);
  const times = runMinutesOfDay(cron).map((t) => t - leadMinutes);

  const minutes = new Set(times.map((t) => ((t % 60) + 60) % 60));
  const hours = new Set(
    times.map((t) => Math.floor((((t % MINUTES_PER_DAY) + MINUTES_PER_DAY) % MINUTES_PER_DAY) / 60)),
  );
  // A cron's times of day are every hour of its list at every minute of its list: anything else needs two crons.
  if (minutes.size * hours.size !== times.length) {
    return { refused: `cron "${cron}" has no single-cron form ${leadMinutes} minute(s) earlier` };
  }

  const shifted = (days: { dayOfMonth: string; dayOfWeek: string }) => ({
    cron: [write(minutes, 0, 59), write(hours, 0, 23), days.dayOfMonth, month, days.dayOfWeek].join(' '),
  });
  const dayBefore = times.filter((t) => t < 0).length;
  const everyDay = dayOfMonth === '*' && month === '*' && dayOfWeek === '*';
  if (dayBefore === 0 || everyDay) return shifted({ dayOfMonth, dayOfWeek });
  if (dayBefore < times.length) {
    return { refused: `some runs of cron "${cron}" would move to the day before and others not` };
  }

  // Every run moves to the day before: the day fields must move back a day too.
  if (dayOfWeek !== '*') {
    if (month !== '*') return { refused: `cron "${cron}" would need the day before the 1st of its month(s)` };
    const days = new Set([...expand(dayOfWeek, 0, 7, DAY_NAMES)].map((d) => (d + 6) % 7));
    return shifted({ dayOfMonth, dayOfWeek: write(days, 0, 6) });
  }
  const days = expand(dayOfMonth === '*' ? '1-31' : dayOfMonth, 1, 31);
  if (days.has(1)) return { refused: `cron "${cron}" would need the day before the 1st of the month` };
  // Day 30 fires in months without a 31st, where day 31's run does not exist.
  if ([...days].some((d) => d > 28)) return { refused: `cron "${cron}" runs on days some months do not have` };
  return shifted({ dayOfMonth: write(new Set([...days].map((d) => d - 1)), 1, 31), dayOfWeek });
}
