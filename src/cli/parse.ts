// Command-line parsing of capacityctl: global options, the command table lookup, the shortcut form, and help.
import { parseArgs } from 'node:util';
import { COMMANDS, OPTIONS, SHORTCUT, type Command, type Input, type OptionName } from './commands.js';
import { DEFAULT_URL, EXIT, type Request } from './http.js';

export const GLOBAL_OPTIONS = {
  url: { type: 'string', value: 'URL', help: `API base URL (env CAPACITY_SCHEDULER_URL, default ${DEFAULT_URL})` },
  json: { type: 'boolean', help: "print exactly one JSON document on stdout: the API's answer" },
  help: { type: 'boolean', short: 'h', help: 'this help' },
} as const;

export type Parsed =
  | { kind: 'help'; text: string }
  | { kind: 'usage'; error: string; text: string }
  | { kind: 'run'; command: Command; input: Input; request: Request; url: string | undefined; json: boolean };

const GROUPS = new Set(COMMANDS.map((c) => c.name.split(' ')[0]!));

function synopsis(c: Pick<Command, 'name' | 'args' | 'options' | 'required'>): string {
  const opts = (c.options ?? []).map((o) => {
    const spec: { type: string; value?: string } = OPTIONS[o];
    const flag = spec.type === 'boolean' ? `--${o}` : `--${o} ${spec.value}`;
    return c.required?.includes(o) ? flag : `[${flag}]`;
  });
  return ['capacityctl', c.name, ...(c.args ?? []).map((a) => `<${a}>`), ...opts].join(' ');
}

export function helpText(): string {
  const optionLines = (specs: Record<string, { type: string; value?: string; help: string }>) =>
    Object.entries(specs).map(
      ([name, s]) => `  --${`${name}${s.type === 'string' ? ` ${s.value}` : ''}`.padEnd(22)} ${s.help}`,
    );
  return [
    'capacityctl: runbook client of the Capacity Scheduler API',
    '',
    'commands:',
    `  capacityctl <namespace> <trus> <minutes> [--reason TEXT] [--requested-by NAME]`,
    '      start a window now and follow it until verified (shortcut of window create --minutes M --wait)',
    ...COMMANDS.flatMap((c) => [`  ${synopsis(c)}`, `      ${c.summary}`]),
    '',
    'options:',
    ...optionLines(OPTIONS),
    '',
    'global options (any command):',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'environment:',
    `  CAPACITY_SCHEDULER_URL    API base URL (default ${DEFAULT_URL}); --url wins`,
    '  CAPACITY_SCHEDULER_TOKEN  sent as "Authorization: Bearer <token>" when set',
    '',
    'output: human text on stdout, errors on stderr. With --json, stdout holds exactly one JSON document when the API',
    'answered: its answer (the error body for an API error; the window at the end for a watch; for schedule delete,',
    'which answers 204, {"id","deleted","cancelRunning"}); nothing when the API was not reached or usage was wrong.',
    '',
    'exit codes:',
    `  ${EXIT.ok}   success: the window is verified (ACTIVE) or completed; the request was done`,
    `  ${EXIT.failed}   the window failed (or its verification failed); doctor: a check failed`,
    `  ${EXIT.http}   HTTP/API error: the API refused the request; its error code is printed on stderr`,
    `  ${EXIT.unreachable}   the service could not be reached (or did not answer in time)`,
    `  ${EXIT.usage}  usage error`,
    `  ${EXIT.internal}  internal error of capacityctl itself (a bug; the stack trace is on stderr)`,
  ].join('\n');
}

const PARSE_OPTIONS = { ...OPTIONS, ...GLOBAL_OPTIONS };

const SHORTCUT_SYNOPSIS = `capacityctl <namespace> <trus> <minutes>${SHORTCUT.options.map((o) => ` [--${o} ${OPTIONS[o].value}]`).join('')}`;

/**
 * Parses argv (without node and the script) into the command to run and its API request, help, or a usage error.
 * defaults fill options the command takes and the user did not give (--requested-by from $USER).
 */
export function parse(argv: readonly string[], defaults: Partial<Record<OptionName, string>> = {}): Parsed {
  const usage = (error: string, command?: Command | 'shortcut'): Parsed => ({
    kind: 'usage',
    error,
    text: command
      ? `usage: ${command === 'shortcut' ? SHORTCUT_SYNOPSIS : synopsis(command)}\n(capacityctl --help for more)`
      : 'see capacityctl --help',
  });
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: PARSE_OPTIONS,
      allowPositionals: true,
      strict: true,
    }));
  } catch (err) {
    return usage((err as Error).message);
  }
  const { url, json, help, ...opts } = values;
  if (help || positionals[0] === 'help') return { kind: 'help', text: helpText() };
  if (positionals.length === 0) return usage('no command given');

  let command: Command | undefined;
  let input: Input;
  const shortcut = !GROUPS.has(positionals[0]!);
  if (shortcut) {
    if (positionals.length !== SHORTCUT.args.length) {
      return usage(
        `unknown command "${positionals[0]}" (or the shortcut <namespace> <trus> <minutes> with ${positionals.length} arguments)`,
      );
    }
    command = COMMANDS.find((c) => c.name === SHORTCUT.name)!;
    const allowed: readonly string[] = SHORTCUT.options;
    const extra = Object.keys(opts).filter((o) => !allowed.includes(o));
    if (extra.length > 0) return usage(`the shortcut form does not take --${extra[0]}`, 'shortcut');
    const [namespace, trus, minutes] = positionals;
    input = { args: {}, opts: { ...opts, namespace, trus, minutes, wait: true } as Input['opts'] };
  } else {
    command = COMMANDS.find((c) => c.name === positionals.slice(0, 2).join(' '));
    if (!command) {
      const names = COMMANDS.filter((c) => c.name.startsWith(`${positionals[0]} `)).map((c) => c.name.split(' ')[1]);
      return usage(
        `${positionals[1] === undefined ? `${positionals[0]} needs a subcommand` : `unknown command "${positionals.slice(0, 2).join(' ')}"`}: one of ${names.join(', ')}`,
      );
    }
    const rest = positionals.slice(2);
    const names = command.args ?? [];
    if (rest.length < names.length) return usage(`${command.name} needs <${names[rest.length]}>`, command);
    if (rest.length > names.length)
      return usage(`unexpected arguments: ${rest.slice(names.length).join(' ')}`, command);
    const allowed: readonly string[] = command.options ?? [];
    const extra = Object.keys(opts).filter((o) => !allowed.includes(o));
    if (extra.length > 0) return usage(`${command.name} does not take --${extra[0]}`, command);
    const missing = (command.required ?? []).filter((o) => opts[o] === undefined);
    if (missing.length > 0) return usage(`${command.name} needs ${missing.map((o) => `--${o}`).join(', ')}`, command);
    input = { args: Object.fromEntries(names.map((n, i) => [n, rest[i]!])), opts: opts as Input['opts'] };
  }
  input = withDefaults(command, input, defaults);
  const request = command.request(input);
  if ('error' in request) return usage(request.error, shortcut ? 'shortcut' : command);
  return { kind: 'run', command, input, request, url: url as string | undefined, json: json === true };
}

/** Fills options a command takes but the user did not give (e.g. --requested-by from $USER). */
function withDefaults(command: Command, input: Input, defaults: Partial<Record<OptionName, string>>): Input {
  const opts = { ...input.opts };
  for (const [k, v] of Object.entries(defaults) as [OptionName, string | undefined][]) {
    if (v !== undefined && opts[k] === undefined && command.options?.includes(k)) opts[k] = v;
  }
  return { ...input, opts };
}
