/**
 * The console's calls to /api: same origin, no cookies, the token (when the
 * service has one) as a bearer header. The token lives in sessionStorage:
 * this tab only, gone when it closes.
 */

const TOKEN_KEY = 'anomalog.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export const tokenStore = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (token: string): void => sessionStorage.setItem(TOKEN_KEY, token),
  clear: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

export interface Api {
  get<T>(path: string): Promise<T>;
  send<T>(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<T>;
}

/** Calls with `token()`; a 401 is reported to `onUnauthorized` (the page then asks for a token) and thrown. */
export function createApi(token: () => string | null, onUnauthorized: () => void): Api {
  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    const t = token();
    if (t) headers.authorization = `Bearer ${t}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'omit' });
    } catch {
      throw new ApiError(0, 'cannot reach the anomalog service');
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = {};
    }
    if (response.ok) return json as T;
    if (response.status === 401) onUnauthorized();
    // The API says {error}; the receiver's own refusals say {message}.
    const said = json as { error?: unknown; message?: unknown };
    const reason = typeof said.error === 'string' ? said.error : typeof said.message === 'string' ? said.message : `HTTP ${response.status}`;
    throw new ApiError(response.status, reason);
  }
  return {
    get: (path) => request('GET', path),
    send: (method, path, body) => request(method, path, body),
  };
}
