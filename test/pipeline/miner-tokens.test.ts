import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { differInConstant, differInStatement, isEmptyField, isIdLike, isNameLike, isNamedValue, isQuotedWord, recordText, structuredTokens, tokenize } from '../../src/pipeline/miner-tokens.js';

describe('miner tokens', () => {
  it('keeps a quoted field, a multi-word [..] or {..} span in one token, and leaves unclosed ones split', () => {
    expect(tokenize('<IP> [<NUM>/Mar/2024 <NUM>] "GET <PATH> HTTP/<NUM>" <NUM> "-" ""')).toEqual([
      '<IP>',
      '[<NUM>/Mar/2024 <NUM>]',
      '"GET <PATH> HTTP/<NUM>"',
      '<NUM>',
      '"-"',
      '""',
    ]);
    expect(tokenize('request: "GET / HTTP/<NUM>", host: "a"')).toEqual(['request:', '"GET / HTTP/<NUM>",', 'host:', '"a"']);
    expect(tokenize('said "hello there')).toEqual(['said', '"hello', 'there']);
    expect(tokenize('')).toEqual([]);
  });

  it('reads a message that is one JSON object as its fields: the words of its message apart, level and logger whole, any other value a parameter', () => {
    expect(tokenize('{"level":"info","msg":"applied snapshot","index":<NUM>,"peer":{"id":"a","addr":"<IP>"}}')).toEqual([
      '{"level":"info",',
      '"msg":"',
      'applied',
      'snapshot',
      '",',
      '"index":',
      '<*>,',
      '"peer":',
      '<*>}',
    ]);
    // A word, a sentence or a list as an attribute's value is still the encoder's parameter; the key stays.
    expect(tokenize('{"currency":"SEK","logger":"pay.api","error":"connection reset, retrying","ids":[<NUM>,"a b"],"ok":true}')).toEqual([
      '{"currency":',
      '<*>,',
      '"logger":"pay.api",',
      '"error":',
      '<*>,',
      '"ids":',
      '<*>,',
      '"ok":',
      '<*>}',
    ]);
    expect(tokenize('{"msg":"x","k":"a \\"b\\" c"}')).toEqual(['{"msg":"', 'x', '",', '"k":', '<*>}']);
    expect(tokenize('{"level": "warn", "msg": "took too \\"long\\""}')).toEqual(['{"level": "warn",', '"msg": "', 'took', 'too', '\\"long\\"', '"}']);
    // journald's MESSAGE is a message too; structlog's `event` and Docker's `log` are, in a record without one.
    expect(tokenize('{"PRIORITY":"<NUM>","MESSAGE":"Started session <NUM>.","_PID":"<NUM>"}')).toEqual(['{"PRIORITY":"<NUM>",', '"MESSAGE":"', 'Started', 'session', '<NUM>.', '",', '"_PID":', '<*>}']);
    expect(tokenize('{"event":"user logged in","user":"bob","level":"info"}')).toEqual(['{"event":"', 'user', 'logged', 'in', '",', '"user":', '<*>,', '"level":"info"}']);
    expect(tokenize('{"msg":"sent","event":"order.paid"}')).toEqual(['{"msg":"', 'sent', '",', '"event":', '<*>}']);
    // Not one object: text as usual.
    expect(tokenize('{"a":1} then {"b":2}')).toEqual(['{"a":1}', 'then', '{"b":2}']);
    expect(tokenize('{"a":1}}')).toEqual(['{"a":1}}']);
    // An unclosed string (a mask took its closing quote's backslash) still splits at spaces only, as it is.
    expect(tokenize('{"msg":"a b}').join(' ')).toBe('{"msg":"a b}');
    expect(tokenize('{"k":"\u0000 x"}')).toEqual(['{"k":', '<*>}']);
  });

  it('reads a logfmt record as its pairs: the words of its message apart, level and logger whole, any other pair its key and a parameter', () => {
    expect(tokenize('time=<TS> level=INFO msg="payment authorized" currency=SEK card.brand=visa error="a \\"b\\" c"')).toEqual([
      'time=<*>',
      'level=INFO',
      'msg="',
      'payment',
      'authorized',
      '"',
      'currency=<*>',
      'card.brand=<*>',
      'error=<*>',
    ]);
    // Prose holding pairs, too few pairs, an unclosed quote: read as text.
    expect(tokenize('user=bob logged in from=<IP> port=<NUM>')).toEqual(['user=bob', 'logged', 'in', 'from=<IP>', 'port=<NUM>']);
    expect(tokenize('status=ok code=<NUM>')).toEqual(['status=ok', 'code=<NUM>']);
    expect(tokenize('a=<NUM> b="x y c=d e=f').join(' ')).toBe('a=<NUM> b="x y c=d e=f');
  });

  it("reads a klog structured line as logfmt after its quoted message, which counts as a pair", () => {
    expect(tokenize('"Probe failed" probeType="Readiness" pod="default/web-<NUM>" output="Get \\"<URL>\\": EOF"')).toEqual([
      '"',
      'Probe',
      'failed',
      '"',
      'probeType=<*>',
      'pod=<*>',
      'output=<*>',
    ]);
    // Too few pairs, prose after the quote, a quote never closed, nothing after it: read as text.
    expect(tokenize('"Starting kubelet" version="v<NUM>"')).toEqual(['"Starting', 'kubelet"', 'version="v<NUM>"']);
    expect(tokenize('"main" thread exited with code=<NUM> a=b c=d')).toEqual(['"main"', 'thread', 'exited', 'with', 'code=<NUM>', 'a=b', 'c=d']);
    expect(tokenize('"never closed a=b c=d').join(' ')).toBe('"never closed a=b c=d');
    expect(tokenize('"alone"')).toEqual(['"alone"']);
  });

  it('writes a structured template as the record writes it, and reads it back as the same tokens', () => {
    const records = [
      '{"time":"<TS>","level": "INFO","msg":"payment authorized for <NUM>","currency":"SEK","card":{"brand":"visa"}}',
      '{"MESSAGE":"","_PID":"<NUM>"}',
      'time=<TS> level=info msg="order placed" id=<NUM> error="a \\"b\\" c"',
      'time=<TS> msg=started id=<NUM> k=""',
      '"Probe failed" pod="default/web" output="Get \\"<URL>\\": EOF"',
      '"" a=b c=d',
    ];
    for (const record of records) {
      const tokens = structuredTokens(record)!;
      expect(tokens).toBeDefined();
      expect(tokenize(recordText(tokens))).toEqual(tokens);
    }
    expect(recordText(structuredTokens(records[0]!)!)).toBe('{"time": <*>, "level": "INFO", "msg":"payment authorized for <NUM>", "currency": <*>, "card": <*>}');
    expect(recordText(structuredTokens(records[4]!)!)).toBe('"Probe failed" pod=<*> output=<*>');
  });

  it('reads any structured record back from its template text as the same tokens', () => {
    // Well-formed records (strings quoted as JSON and Go quote them) whose texts hold the characters that matter.
    const inner = fc
      .array(fc.constantFrom('a', 'b', ' ', '  ', '"', '\\', ':', '=', ',', '}', '{', '<NUM>', '="', ':"', '\u0000'), { maxLength: 8 })
      .map((p) => JSON.stringify(p.join('')));
    const key = fc.constantFrom('msg', 'MESSAGE', 'event', 'log', 'level', 'logger', 'id', 'user', 'a.b');
    const spacing = fc.constantFrom('', ' ');
    const jsonValue = fc.oneof(inner, fc.constant('<NUM>'), inner.map((v) => `{"k":${v}}`), fc.constant('[1,"x y"]'));
    const json = fc.uniqueArray(fc.tuple(key, spacing, jsonValue), { minLength: 1, maxLength: 5, selector: ([k]) => k }).map((fields) => `{${fields.map(([k, sp, v]) => `"${k}":${sp}${v}`).join(',')}}`);
    const pairValue = fc.oneof(inner, fc.constantFrom('x', '<NUM>', 'INFO', ''));
    const pairs = fc.uniqueArray(fc.tuple(key, pairValue), { minLength: 1, maxLength: 5, selector: ([k]) => k }).map((ps) => ps.map(([k, v]) => `${k}=${v}`).join(' '));
    const klog = fc.tuple(inner, pairs).map(([m, ps]) => `${m} ${ps}`);
    let structured = 0;
    fc.assert(
      fc.property(fc.oneof(json, pairs, klog), (text) => {
        const tokens = structuredTokens(text);
        if (!tokens) return;
        structured++;
        expect(tokenize(recordText(tokens))).toEqual(tokens);
      }),
      { numRuns: 20_000 },
    );
    expect(structured).toBeGreaterThan(10_000);
    // Malformed ones (a quote never escaped, a value cut short) are read without a throw, as structured records or as text.
    const piece = fc.constantFrom('{', '}', '"', '\\"', ':', ',', ' ', '=', 'msg', 'event', 'level', 'a', '<NUM>', '[', ']', '\\');
    fc.assert(
      fc.property(fc.array(piece, { minLength: 1, maxLength: 30 }), (pieces) => {
        const text = pieces.join('');
        if (text.trim() !== '') expect(tokenize(text).length).toBeGreaterThan(0);
      }),
      { numRuns: 20_000 },
    );
  });

  it('reads a 1 MB structured record, NUL and escaped quotes in it, word by word without overflowing', () => {
    const words = Array.from({ length: 300_000 }, (_v, i) => (i % 1000 === 0 ? 'a\u0000\\"b' : 'w')).join(' ');
    expect(words.length).toBeGreaterThan(600_000);
    const logfmt = tokenize(`time=<TS> level=info msg="${words}" id=<NUM>`);
    expect(logfmt).toHaveLength(300_005);
    expect(logfmt.at(-1)).toBe('id=<*>');
    const json = tokenize(`{"msg":"${words}","error":"${words}","id":<NUM>}`);
    expect(json).toHaveLength(300_006);
    expect(json.slice(-4)).toEqual(['"error":', '<*>,', '"id":', '<*>}']);
  });

  it('ends a bracketed span where its brackets balance, through nested spans and trailing punctuation', () => {
    expect(tokenize('(reason: [shards started [[a][<NUM>], [b][<NUM>]]]). done')).toEqual(['(reason:', '[shards started [[a][<NUM>], [b][<NUM>]]]).', 'done']);
    expect(tokenize('map {a: {b: <NUM>}, c: <NUM>} x')).toEqual(['map', '{a: {b: <NUM>}, c: <NUM>}', 'x']);
    expect(tokenize('[a] [b c]: d')).toEqual(['[a]', '[b c]:', 'd']);
    expect(tokenize('[never closed x y')).toEqual(['[never', 'closed', 'x', 'y']);
    // A type name glued to the bracket: Go's `map[…]` and `&{…}`, a Java object's `Order{…}`; a name whose brackets close in it stays one word.
    expect(tokenize('set map[a:<NUM> b:x] and &{Name:web Port:<NUM>} for Order{id=<NUM>, status=PAID}.')).toEqual([
      'set',
      'map[a:<NUM> b:x]',
      'and',
      '&{Name:web Port:<NUM>}',
      'for',
      'Order{id=<NUM>, status=PAID}.',
    ]);
    expect(tokenize('cleanup[<UUID>] done')).toEqual(['cleanup[<UUID>]', 'done']);
  });

  it('takes a list of like values as one token, but not columns of bare numbers, empty fields or template wildcards', () => {
    expect(tokenize('ask <IP> to delete blk_<NUM> blk_<NUM> blk_<NUM>')).toEqual(['ask', '<IP>', 'to', 'delete', 'blk_<NUM> blk_<NUM> blk_<NUM>']);
    expect(tokenize('Wait queue: <NUM>, <NUM>, <NUM>.')).toEqual(['Wait', 'queue:', '<NUM>, <NUM>, <NUM>.']);
    expect(tokenize('Wait queue: <NUM>, <NUM>.')).toEqual(['Wait', 'queue:', '<NUM>, <NUM>.']);
    expect(tokenize('Fan speeds ( <NUM> <NUM> <NUM> )')).toHaveLength(7);
    expect(tokenize('<NUM> "-" "-" x')).toHaveLength(4);
    expect(tokenize('k=<*> k=<*>')).toHaveLength(2);
  });

  it('reads a quoted text that starts the message as words, and an escaped quote inside a quoted field as no end', () => {
    expect(tokenize('"SyncLoop ADD" source="api" pods=[<NUM>]')).toEqual(['"', 'SyncLoop', 'ADD', '"', 'source=<*>', 'pods=<*>']);
    expect(tokenize('at "a \\"b c\\" d" e')).toEqual(['at', '"a \\"b c\\" d"', 'e']);
  });

  it('tells one quoted or bracketed word from quoted text and plain words', () => {
    for (const w of ['"readonly"', 'identity="app"', "'x',", '"orders.status".', '[logs]', '[{"phase":"hot"}]', 'cause=[rollover],', '\\"config\\"', '\\"config\\")']) expect(isQuotedWord(w), w).toBe(true);
    for (const w of ['readonly', '"GET <PATH>"', '""', '[]', '"a"b"', 'x="a b"', '[a b]', '(x)']) expect(isQuotedWord(w), w).toBe(false);
  });

  it('tells empty fields and names glued to an id from other tokens', () => {
    for (const w of ['-', '""', "''", 'status=""', 'user=-']) expect(isEmptyField(w), w).toBe(true);
    for (const w of ['--', '"-"', 'status="x"', 'a-', '']) expect(isEmptyField(w), w).toBe(false);
    for (const w of ['cleanup[<UUID>]', 'worker-3(<NUM>),', 'job.x[<*>]']) expect(isNamedValue(w), w).toBe(true);
    for (const w of ['[<UUID>]', 'cleanup[abc]', 'cleanup[<UUID>]x', '3job[<NUM>]', 'a[<NUM>']) expect(isNamedValue(w), w).toBe(false);
  });

  it('tells name-like words from prose', () => {
    for (const w of ['https-in~', 'web-backend', 'LR--', 'api.example.com,', '"shop.example.com"', 'a_b']) expect(isNameLike(w), w).toBe(true);
    for (const w of ['up', 'down', 'GET', '-', '--', '(x)', 'said:', '"GET <PATH>"', 'a-1', 'tool...', 'files.']) expect(isNameLike(w), w).toBe(false);
    expect(isNameLike('api.example.com.')).toBe(true);
  });

  it('tells id-like values from spans, key=values and text around a value', () => {
    for (const w of ['rdd_<NUM>_<NUM>', 'broadcast_<NUM>_piece0', '220-135-151-1.hinet-ip.net', '<IP>', 'node-<NUM>:<NUM>']) expect(isIdLike(w), w).toBe(true);
    for (const w of ['root', '(uid=<NUM>)', 'LOGIN(uid=<NUM>)', '"GET <PATH>"', 'id=<NUM>', '<NUM>,', '[<NUM>]']) expect(isIdLike(w), w).toBe(false);
  });

  it('finds templates of one shape that name different enum constants or prose words', () => {
    expect(differInConstant('<*> moved from RUNNING to FAILED', '<*> moved from RUNNING to KILLED')).toBe(true);
    expect(differInConstant('<*> moved from RUNNING to FAILED', '<*> moved from RUNNING to FAILED')).toBe(false);
    expect(differInConstant('wait failed: No child processes', 'wait failed: Bad file descriptor')).toBe(true);
    expect(differInConstant('job web-a done', 'job web-b done')).toBe(false);
    expect(differInConstant('user "alice" logged in id=x', 'user "bob" logged in id=y')).toBe(false);
    expect(differInConstant('user <*> logged in', 'user <NUM> logged in')).toBe(false);
    expect(differInConstant('state RUNNING', 'state RUNNING now')).toBe(false);
    // Signed letters are directions and polarities, constants of the statement.
    expect(differInConstant('<*> torus receiver x+ input pipe error(s)', '<*> torus receiver z+ input pipe error(s)')).toBe(true);
    expect(differInConstant('warning for torus y+ wire', 'warning for torus z- wire')).toBe(true);
  });

  it('finds templates of any length that say different plain words', () => {
    expect(differInStatement('<*> moved from RUNNING to FAILED', '<*> moved from RUNNING to KILLED')).toBe(true);
    expect(differInStatement('state RUNNING', 'state RUNNING now')).toBe(true);
    expect(differInStatement('total of <*> ddr errors detected', '<*> ddr errors detected')).toBe(true);
    expect(differInStatement('took <*> to start', 'took <*> <*> to start')).toBe(false);
    expect(differInStatement('Probing PCI hardware (bus <*>)', 'Probing PCI hardware')).toBe(true);
    expect(differInStatement('job done (<*>)', 'job done.')).toBe(false);
    expect(differInStatement('job web-a done', 'job web-a web-b done')).toBe(false);
    // One letter is a word when it is what a longer template adds.
    expect(differInStatement('CPU: L1 I cache: <*>', 'CPU: L2 cache: <*>')).toBe(true);
  });
});
