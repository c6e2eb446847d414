// A small structured logger: one line per record on stderr, human-readable on a TTY and JSON
// otherwise (or with TLSEDGE_LOG_FORMAT=json). Callers pass facts, never secrets: there is no
// "log the whole object" helper on purpose.
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, string | number | boolean | null | undefined>;

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(component: string): Logger;
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: 'text' | 'json';
  write?: (line: string) => void;
}

export function createLogger(component = 'tlsedge', options: LoggerOptions = {}): Logger {
  const level = options.level ?? ((process.env.TLSEDGE_LOG_LEVEL as LogLevel | undefined) ?? 'info');
  const format = options.format ?? (process.env.TLSEDGE_LOG_FORMAT === 'json' || !process.stderr.isTTY ? 'json' : 'text');
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const min = rank[level] ?? rank.info;

  const make = (name: string): Logger => {
    const emit = (lvl: LogLevel, message: string, fields?: LogFields) => {
      if (rank[lvl] < min) return;
      if (format === 'json') {
        write(JSON.stringify({ time: new Date().toISOString(), level: lvl, component: name, message, ...fields }));
      } else {
        const extra = fields
          ? Object.entries(fields)
              .filter(([, v]) => v !== undefined)
              .map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v)}`)
              .join(' ')
          : '';
        write(`${new Date().toISOString().slice(11, 23)} ${lvl.padEnd(5)} [${name}] ${message}${extra ? ' ' + extra : ''}`);
      }
    };
    return {
      debug: (m, f) => emit('debug', m, f),
      info: (m, f) => emit('info', m, f),
      warn: (m, f) => emit('warn', m, f),
      error: (m, f) => emit('error', m, f),
      child: (c) => make(`${name}/${c}`),
    };
  };
  return make(component);
}

/** A logger that keeps lines in memory (tests, and commands that print their own output). */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger('test', { level: 'debug', format: 'json', write: (l) => lines.push(l) });
  return Object.assign(logger, { lines });
}
