// A private nats-server for one test file: random loopback port, temp JetStream store, stopped when
// the test process exits. `restart()` keeps the port and the store, as an operator's restart would.
import { freePort, start, tempDir, waitForOutput, waitForPort, type Started } from './processes.js';
import { which } from './requirements.js';

export interface NatsServerOptions {
  /** Enable JetStream with a temp store dir (`-js -sd <dir>`). */
  jetstream?: boolean;
  /** Extra nats-server arguments, e.g. ['--user', 'u', '--pass', 'p']. */
  args?: string[];
}

export interface RunningNats {
  /** `nats://127.0.0.1:<port>` */
  url: string;
  port: number;
  /** JetStream store directory (undefined without JetStream). */
  storeDir: string | undefined;
  /** Stops the server (SIGTERM, then SIGKILL). Safe to call twice. */
  stop(): Promise<void>;
  /** Stops it if running and starts it again on the same port with the same store. */
  restart(): Promise<void>;
  /** Server output so far (for assertion messages). */
  output(): string;
}

export async function startNats(options: NatsServerOptions = {}): Promise<RunningNats> {
  const binary = which('nats-server') ?? 'nats-server';
  const port = await freePort();
  const storeDir = options.jetstream ? tempDir('tlsedge-nats-') : undefined;
  const args = ['-a', '127.0.0.1', '-p', String(port), ...(storeDir ? ['-js', '-sd', storeDir] : []), ...(options.args ?? [])];
  let current: Started | undefined;
  let log = '';

  const launch = async (): Promise<void> => {
    const started = start(binary, args);
    current = started;
    // "Server is ready" comes after JetStream has recovered its store, unlike the open port
    await waitForOutput(started, (out) => out.includes('Server is ready'), 15_000);
    await waitForPort(port);
  };
  const stop = async (): Promise<void> => {
    const running = current;
    current = undefined;
    if (!running) return;
    await running.stop();
    log += running.output();
  };

  await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    stop,
    async restart() {
      await stop();
      await launch();
    },
    output: () => log + (current?.output() ?? ''),
  };
}
