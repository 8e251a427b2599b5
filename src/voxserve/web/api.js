// Talking to voxserve: JSON look-ups, the speech request, and the API's one error shape
// {"error": {"code", "message", "param"}} turned into an exception the page can show.

const KEY_STORAGE = 'voxserve.apiKey';
const KEY_COOKIE = 'voxserve_key'; // read by the server for a job's audio only (<audio>, links)

/** The API key this browser keeps (servers that require one answer 401 without it). */
export function apiKey() {
  try {
    return localStorage.getItem(KEY_STORAGE) ?? '';
  } catch {
    return ''; // storage disabled: the page works without keys
  }
}

/** Keep `key` for the next requests (an empty key forgets it). */
export function setApiKey(key) {
  try {
    if (key) localStorage.setItem(KEY_STORAGE, key);
    else localStorage.removeItem(KEY_STORAGE);
  } catch {
    // storage disabled: nothing to keep it in
  }
  syncKeyCookie();
}

/**
 * Mirror the key into a cookie for /v1/jobs only: a job's <audio> player and download link
 * cannot send an Authorization header, and the server accepts the cookie for that audio alone.
 */
export function syncKeyCookie() {
  const key = apiKey();
  const secure = location.protocol === 'https:' ? '; Secure' : '';
  const value = key ? encodeURIComponent(key) : '';
  const age = key ? '' : '; Max-Age=0';
  document.cookie = `${KEY_COOKIE}=${value}; Path=/v1/jobs; SameSite=Strict${secure}${age}`;
}

function withKey(headers) {
  const key = apiKey();
  return key ? { ...headers, authorization: `Bearer ${key}` } : headers;
}

/** An error answer from the API (or a broken connection: status 0, code "connection_lost"). */
export class ApiError extends Error {
  constructor(status, code, message, param = null, retryAfter = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.param = param;
    this.retryAfter = retryAfter;
  }

  /** Read the error body of a failed response; tolerate proxies that answer in HTML. */
  static async from(response) {
    let body = null;
    try {
      body = await response.json();
    } catch {
      // Not JSON: keep the status line as the message.
    }
    const error = body?.error ?? {};
    const retry = Number.parseInt(response.headers.get('retry-after') ?? '', 10);
    return new ApiError(
      response.status,
      error.code ?? `http_${response.status}`,
      error.message ?? `${response.status} ${response.statusText}`.trim(),
      error.param ?? null,
      Number.isFinite(retry) ? retry : null,
    );
  }

  static connectionLost(cause) {
    const error = new ApiError(0, 'connection_lost', String(cause?.message ?? cause));
    error.cause = cause;
    return error;
  }
}

/** GET a JSON document; ApiError when the server answers with an error. */
export async function getJson(path) {
  let response;
  try {
    response = await fetch(path, { headers: withKey({ accept: 'application/json' }) });
  } catch (cause) {
    throw ApiError.connectionLost(cause);
  }
  if (!response.ok) throw await ApiError.from(response);
  return response.json();
}

/**
 * POST /v1/tts. Resolves with the response once its headers are in (the body may still be
 * arriving); an error status becomes an ApiError, a network failure ApiError.connectionLost.
 * An abort through `signal` rejects with the browser's AbortError, which callers ignore.
 */
export async function postTts(body, signal) {
  let response;
  try {
    response = await fetch('/v1/tts', {
      method: 'POST',
      headers: withKey({ 'content-type': 'application/json' }),
      body: JSON.stringify(body),
      signal,
    });
  } catch (cause) {
    if (cause?.name === 'AbortError') throw cause;
    throw ApiError.connectionLost(cause);
  }
  if (!response.ok) throw await ApiError.from(response);
  return response;
}

/** Each chunk of a response body as it arrives. A broken stream raises ApiError.connectionLost. */
export async function* bodyChunks(response) {
  const reader = response.body.getReader();
  try {
    for (;;) {
      let step;
      try {
        step = await reader.read();
      } catch (cause) {
        if (cause?.name === 'AbortError') throw cause;
        throw ApiError.connectionLost(cause);
      }
      if (step.done) return;
      yield step.value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** POST a JSON body and read the JSON answer; ApiError when the server answers with an error. */
export async function postJson(path, body) {
  let response;
  try {
    response = await fetch(path, {
      method: 'POST',
      headers: withKey({ 'content-type': 'application/json', accept: 'application/json' }),
      body: JSON.stringify(body),
    });
  } catch (cause) {
    throw ApiError.connectionLost(cause);
  }
  if (!response.ok) throw await ApiError.from(response);
  return response.json();
}

/** Any request with the key and a JSON body (or none); ApiError when the server answers with an error. */
export async function send(method, path, body = undefined) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: withKey(headers),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (cause) {
    throw ApiError.connectionLost(cause);
  }
  if (!response.ok) throw await ApiError.from(response);
  return response;
}

/**
 * Server-sent events of `path` as {event, data} (data parsed as JSON), read with fetch so that
 * the key travels in a header (EventSource cannot send one). Comments (keep-alives) are skipped.
 */
export async function* serverEvents(path, signal) {
  let response;
  try {
    response = await fetch(path, { headers: withKey({ accept: 'text/event-stream' }), signal });
  } catch (cause) {
    if (cause?.name === 'AbortError') throw cause;
    throw ApiError.connectionLost(cause);
  }
  if (!response.ok) throw await ApiError.from(response);
  yield* responseEvents(response);
}

/**
 * POST /v1/tts for `params` as server-sent events with timestamps and raw PCM: each event's JSON
 * (start, unit, tail, done), with the base64 `audio` of units already decoded to bytes. Errors
 * before the stream starts are ApiErrors, as for postTts; a broken stream ApiError.connectionLost.
 */
export async function* speechEvents(params, signal) {
  const body = { ...params, format: 'pcm', stream: true, stream_format: 'sse', timestamps: true };
  const response = await postTts(body, signal);
  for await (const { data } of responseEvents(response)) {
    yield typeof data.audio === 'string' ? { ...data, audio: fromBase64(data.audio) } : data;
  }
}

/** Bytes of base64 text (atob where the browser lacks Uint8Array.fromBase64). */
function fromBase64(text) {
  if (Uint8Array.fromBase64) return Uint8Array.fromBase64(text);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The server-sent events of a response's body as {event, data}, as they arrive. */
async function* responseEvents(response) {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of bodyChunks(response)) {
    buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const event = parseEvent(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (event) yield event;
    }
  }
}

function parseEvent(block) {
  let event = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  return data.length ? { event, data: JSON.parse(data.join('\n')) } : null;
}
