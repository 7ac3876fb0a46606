/**
 * What `anomalog patterns` and `anomalog anomalies` print when the log text they
 * show carries terminal escape sequences and bidi controls. The commands run
 * for real against an HTTP server answering the service's /api shapes.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli-runner.js';

// eslint-disable-next-line no-control-regex -- the characters a terminal would interpret
const INTERPRETED = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
/** Clears the screen, sets the window title, then reverses what follows. */
const EVIL = 'login ok \u001b[2J\u001b]0;pwned\u0007 for \u202etxt.exe\u202c \u009b31m';

const pattern = { id: 'p-evil', service: 'auth\u001b[31m', level: 'error', count: 3, lastSeen: 1_764_000_000_000, mutedUntil: null, template: EVIL };
const anomaly = {
  detectedAt: 1_764_000_000_000, service: 'auth', kind: 'new_pattern', level: 'error', score: 0.9, patternId: 'p-evil', reason: `New ERROR pattern in auth: '${EVIL}'`,
};

describe('operator output of log text', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const body = req.url?.startsWith('/api/patterns') ? { patterns: [pattern] } : { anomalies: [anomaly] };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('patterns prints escape sequences and bidi controls as visible escapes in the table', async () => {
    const { code, stdout } = await runCli(['patterns', '--url', url]);
    expect(code).toBe(0);
    expect(INTERPRETED.test(stdout)).toBe(false);
    expect(stdout).toContain('login ok \\x1b[2J\\x1b]0;pwned\\x07 for \\u202etxt.exe\\u202c \\x9b31m');
    expect(stdout).toContain('auth\\x1b[31m');
  });

  it('anomalies prints the reason escaped in the table', async () => {
    const { code, stdout } = await runCli(['anomalies', '--url', url]);
    expect(code).toBe(0);
    expect(INTERPRETED.test(stdout)).toBe(false);
    expect(stdout).toContain('\\u202etxt.exe');
  });

  it('--json escapes C1 and bidi controls too and still parses back to the text', async () => {
    for (const [command, key] of [['patterns', 'template'], ['anomalies', 'reason']] as const) {
      const { stdout } = await runCli([command, '--url', url, '--json']);
      expect(INTERPRETED.test(stdout)).toBe(false);
      expect(stdout).toContain('\\u202e');
      const rows = JSON.parse(stdout) as Array<Record<string, string>>;
      expect(rows[0]![key]).toContain(EVIL);
    }
  });
});
