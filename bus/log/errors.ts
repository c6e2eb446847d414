// Errors of the event log (JSONL files and JetStream), with stable codes to branch on.

export type LogErrorCode =
  | 'locked' // another live process writes this log directory
  | 'open_failed' // the directory or a segment could not be created/opened
  | 'write_failed' // a batch could not be written (events counted as dropped)
  | 'sync_failed' // fsync failed: what was written may not be durable
  | 'retention_failed' // an old segment could not be deleted
  | 'stream_failed' // JetStream stream could not be created or read
  | 'closed';

export class LogError extends Error {
  override readonly name = 'LogError';
  constructor(
    readonly code: LogErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}
