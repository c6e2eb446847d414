// Responses tlsedge answers itself (404, 421, 400, 502, 504, …): small plain-text bodies, built
// once per (status, close, HEAD) and reused, since error storms must not cost allocations.

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  408: 'Request Timeout',
  417: 'Expectation Failed',
  421: 'Misdirected Request',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
};

const BODIES: Record<number, string> = {
  404: 'no route for this host and path\n',
  421: 'this host is not served on this connection\n',
  502: 'the origin could not be reached or answered badly\n',
  503: 'too many requests waiting for this origin\n',
  504: 'the origin did not answer in time\n',
};

const cache = new Map<number, Buffer>();

/** The plain-text body of a local answer (also used by the HTTP/2 path). */
export function localBody(status: number): string {
  return BODIES[status] ?? `${reasonPhrase(status).toLowerCase()}\n`;
}

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? 'Error';
}

/** The full response bytes for a local answer. `close` adds `Connection: close`; `head` omits the body. */
export function localResponse(status: number, close: boolean, head = false): Buffer {
  const key = status * 4 + (close ? 2 : 0) + (head ? 1 : 0);
  let bytes = cache.get(key);
  if (!bytes) {
    const body = localBody(status);
    const text =
      `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\n` +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      (close ? 'Connection: close\r\n' : '') +
      '\r\n' +
      (head ? '' : body);
    bytes = Buffer.from(text, 'latin1');
    cache.set(key, bytes);
  }
  return bytes;
}
