/**
 * A Go payments API logging with log/slog to stdout, as `kubectl logs` shows it: with the
 * JSON handler (`{"time":…,"level":…,"msg":…, attrs…}`, GoSlogJSON) or the text handler
 * (`time=… level=… msg=… key=value…`, logfmt, GoSlogText). There is no header: the line
 * is the record. Labelling: the keys, the `msg` text and the level (fixed at the call
 * site) are the statement's; every attribute value is a parameter (`"status":<*>`,
 * `provider=<*>`); a group keeps its keys (`"card":{"brand":…}`, `card.brand=…`).
 */
import { createClock, k, msg, schedule, type LogRecord, type Msg, type Rng, type SystemSpec } from './core.js';
import { isoMicros, latencyMs, pick, privateIp, publicIp, uuid } from './values.js';

/** One attribute: a key and its value, a number, a string, or a group of attributes. */
type Attr = readonly [key: string, value: string | number | readonly Attr[]];

/** A JSON string's contents as Go's encoder writes them (quotes, backslashes, controls escaped). */
const escaped = (text: string): string => JSON.stringify(text).slice(1, -1);

function joined(parts: readonly Msg[], separator: string): Msg {
  return { content: parts.map((p) => p.content).join(separator), template: parts.map((p) => p.template).join(separator) };
}

function jsonAttrs(list: readonly Attr[]): Msg {
  return joined(
    list.map(([key, value]): Msg => {
      if (typeof value === 'number') return msg`${k(`"${key}":`)}${value}`;
      if (typeof value === 'string') return msg`${k(`"${key}":"`)}${escaped(value)}${k('"')}`;
      const inner = jsonAttrs(value);
      return { content: `"${key}":{${inner.content}}`, template: `"${key}":{${inner.template}}` };
    }),
    ',',
  );
}

/** A text-handler value: quoted (Go syntax) when it holds a space, a quote, `=` or nothing. */
const textValue = (value: string): string => (value === '' || /[\s"=\\]/.test(value) ? JSON.stringify(value) : value);

function textAttrs(list: readonly Attr[], prefix = ''): Msg[] {
  return list.flatMap(([key, value]): Msg[] => {
    if (typeof value === 'object') return textAttrs(value, `${prefix}${key}.`);
    return [msg`${k(`${prefix}${key}=`)}${typeof value === 'number' ? value : textValue(value)}`];
  });
}

type Level = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** One record as the handler prints it. */
function slogLine(format: 'json' | 'text', time: string, level: Level, text: string, list: readonly Attr[]): Msg {
  if (format === 'text') {
    const head = msg`time=${time} ${k(`level=${level} msg=${textValue(text)}`)}`;
    return joined([head, ...textAttrs(list)], ' ');
  }
  const head = msg`{"time":"${time}",${k(`"level":"${level}","msg":"${escaped(text)}"`)}`;
  if (list.length === 0) return joined([head, k('}')], '');
  return joined([head, k(','), jsonAttrs(list), k('}')], '');
}

export const slogJson = slogService('GoSlogJSON', 'json');
export const slogText = slogService('GoSlogText', 'text');

function slogService(name: string, format: 'json' | 'text'): SystemSpec {
  return {
    name,
    columns: [],
    render: (_f, content) => content,
    generate(rng: Rng): LogRecord[] {
      const clock = createClock(rng, Date.UTC(2024, 4, 6, 9, 0, 0), 700);
      const line = (level: Level, text: string, list: readonly Attr[] = [], gap?: number): LogRecord => ({
        fields: {},
        msg: slogLine(format, isoMicros(clock.tick(gap), rng), level, text, list),
      });
      const providers = ['stripe', 'adyen', 'braintree'];
      const currencies = ['EUR', 'USD', 'GBP', 'SEK'];
      const merchants = Array.from({ length: 12 }, () => `m_${rng.alnum(10)}`);
      const payments: string[] = [];
      const paymentId = (): string => {
        const id = `pay_${rng.alnum(14)}`;
        payments.push(id);
        return id;
      };
      const knownPayment = (): string => (payments.length > 0 && rng.chance(0.8) ? rng.pick(payments.slice(-50)) : paymentId());
      const amount = (): number => Math.round(rng.exp(60) * 100 + 100) / 100;
      const path = (): string =>
        pick(rng, [
          [30, () => '/v1/payments'],
          [20, () => `/v1/payments/${knownPayment()}`],
          [10, () => `/v1/payments/${knownPayment()}/capture`],
          [5, () => `/v1/refunds`],
          [8, () => `/v1/merchants/${rng.pick(merchants)}/balance`],
          [6, () => '/healthz'],
        ])();
      let breaker: 'closed' | 'open' | 'half-open' = 'closed';

      const request = (status?: number): LogRecord => {
        const p = path();
        const method = p === '/v1/payments' || p.endsWith('/capture') || p === '/v1/refunds' ? 'POST' : 'GET';
        const code = status ?? pick(rng, [[85, method === 'POST' ? 201 : 200], [4, 400], [3, 404], [2, 409], [2, 422], [1, 429], [1, 500]]);
        return line('INFO', 'request completed', [
          ['method', method], ['path', p], ['status', code], ['duration_ms', latencyMs(rng, 18)], ['bytes', rng.int(60, 4000)],
          ['request_id', uuid(rng)], ['remote_addr', `${privateIp(rng, '10.42')}:${rng.int(32768, 60999)}`],
        ]);
      };
      const authorized = (): LogRecord =>
        line('INFO', 'payment authorized', [
          ['payment_id', paymentId()], ['order_id', `ord_${rng.int(100000, 999999)}`], ['amount', amount()], ['currency', rng.pick(currencies)],
          ['provider', breaker === 'open' ? 'adyen' : rng.pick(providers)], ['card', [['brand', rng.pick(['visa', 'mastercard', 'amex'])], ['last4', String(rng.int(1000, 9999))]]],
          ['latency_ms', latencyMs(rng, 240)],
        ]);
      const captured = (): LogRecord => line('INFO', 'payment captured', [['payment_id', knownPayment()], ['amount', amount()], ['currency', rng.pick(currencies)]]);
      const declined = (): LogRecord =>
        line('WARN', 'payment declined', [
          ['payment_id', paymentId()], ['provider', rng.pick(providers)], ['decline_code', rng.pick(['insufficient_funds', 'card_declined', 'expired_card', 'do_not_honor', 'incorrect_cvc'])],
        ]);
      const webhook = (): LogRecord =>
        line('INFO', 'webhook delivered', [
          ['webhook_id', `wh_${rng.alnum(12)}`], ['merchant_id', rng.pick(merchants)], ['event', rng.pick(['payment.succeeded', 'payment.captured', 'refund.created'])],
          ['attempt', rng.chance(0.9) ? 1 : rng.int(2, 4)], ['status', rng.chance(0.95) ? 200 : 204],
        ]);
      const refund = (): LogRecord =>
        line('INFO', 'refund issued', [['refund_id', `re_${rng.alnum(14)}`], ['payment_id', knownPayment()], ['amount', amount()], ['reason', rng.pick(['requested_by_customer', 'duplicate', 'fraudulent'])]]);
      const poolStats = (): LogRecord => {
        const open = rng.int(8, 25);
        const inUse = rng.int(0, open);
        return line('INFO', 'db pool stats', [['open', open], ['in_use', inUse], ['idle', open - inUse], ['wait_count', rng.int(0, 40)], ['wait_ms', rng.int(0, 900)]]);
      };
      const slowQuery = (): LogRecord =>
        line('WARN', 'slow query', [
          ['query', rng.pick([
            'SELECT id, status, amount FROM payments WHERE merchant_id = $1 AND created_at > $2 ORDER BY created_at DESC LIMIT 100',
            'UPDATE balances SET available = available - $1 WHERE merchant_id = $2',
            'SELECT count(*) FROM refunds WHERE payment_id = ANY($1)',
          ])],
          ['duration_ms', rng.int(500, 4000)], ['rows', rng.int(0, 100)],
        ]);
      const rateLimited = (): LogRecord => line('WARN', 'rate limit exceeded', [['client_id', `cli_${rng.alnum(8)}`], ['limit', rng.pick([100, 500])], ['window', '1m'], ['remote_addr', publicIp(rng)]]);
      const idempotent = (): LogRecord => line('INFO', 'idempotent replay', [['idempotency_key', uuid(rng)], ['payment_id', knownPayment()]]);
      const breakerChange = (to: typeof breaker): LogRecord => {
        const from = breaker;
        breaker = to;
        return line('WARN', 'circuit breaker state changed', [['name', 'stripe'], ['from', from], ['to', to]]);
      };

      const background = [
        { weight: 40, emit: () => [request()] },
        { weight: 14, emit: () => [authorized()] },
        { weight: 9, emit: () => [captured()] },
        { weight: 4, emit: () => [declined()] },
        { weight: 6, emit: () => [webhook()] },
        { weight: 2, emit: () => [refund()] },
        { weight: 1.5, emit: () => [poolStats()] },
        { weight: 0.6, emit: () => [slowQuery()] },
        { weight: 0.5, emit: () => [rateLimited()] },
        { weight: 0.8, emit: () => [idempotent()] },
      ];
      const episodes = [
        {
          at: 0,
          emit: () => [
            line('INFO', 'starting payments-api', [['version', 'v2.14.3'], ['commit', rng.hex(7)], ['go_version', 'go1.22.2']]),
            line('INFO', 'connected to database', [['host', 'payments-db.internal'], ['database', 'payments'], ['max_conns', 25]]),
            line('INFO', 'connected to redis', [['addr', 'redis-payments:6379'], ['db', 0]]),
            line('INFO', 'http server listening', [['addr', ':8080']]),
          ],
        },
        {
          at: 0.3,
          emit: () => [
            ...Array.from({ length: 5 }, (_v, i) =>
              line('ERROR', 'provider request failed', [['provider', 'stripe'], ['attempt', i + 1], ['error', rng.pick(['context deadline exceeded', 'dial tcp 54.187.174.169:443: i/o timeout'])]]),
            ),
            breakerChange('open'),
            ...Array.from({ length: 3 }, () => line('WARN', 'provider unavailable, routing to fallback', [['provider', 'stripe'], ['fallback', 'adyen'], ['payment_id', paymentId()]])),
          ],
        },
        { at: 0.38, emit: () => [breakerChange('half-open'), breakerChange('closed')] },
        {
          at: 0.55,
          emit: () => [
            line('INFO', 'configuration reloaded', [['source', '/etc/payments/config.yaml'], ['changed', rng.pick(['fraud.threshold,limits.daily', 'providers.weights', 'limits.per_minute'])]]),
            line('INFO', 'fraud rules updated', [['rules', rng.int(40, 60)], ['version', rng.int(100, 200)]]),
          ],
        },
        {
          at: 0.7,
          emit: () => [
            line('ERROR', 'database connection lost', [['host', 'payments-db.internal'], ['error', 'read tcp 10.42.3.17:51844->10.42.9.4:5432: read: connection reset by peer']]),
            ...Array.from({ length: 3 }, (_v, i) => line('WARN', 'retrying database connection', [['attempt', i + 1], ['backoff_ms', 250 * 2 ** i]])),
            line('INFO', 'connected to database', [['host', 'payments-db.internal'], ['database', 'payments'], ['max_conns', 25]]),
            ...Array.from({ length: 4 }, () => line('ERROR', 'request failed', [['method', 'POST'], ['path', '/v1/payments'], ['status', 503], ['error', 'database unavailable'], ['request_id', uuid(rng)]])),
          ],
        },
        {
          at: 0.85,
          emit: () => {
            const merchant = `m_${rng.alnum(10)}`;
            merchants.push(merchant);
            return [
              line('INFO', 'merchant onboarded', [['merchant_id', merchant], ['country', rng.pick(['DE', 'FR', 'SE'])], ['plan', 'growth']]),
              line('INFO', 'webhook endpoint registered', [['merchant_id', merchant], ['url', `https://hooks.${rng.alnum(6)}.example.com/payments`], ['events', 3]]),
            ];
          },
        },
        {
          at: 0.93,
          emit: () => [
            line('ERROR', 'webhook delivery failed', [['webhook_id', `wh_${rng.alnum(12)}`], ['merchant_id', rng.pick(merchants)], ['attempt', 5], ['error', 'Post "https://hooks.example.com/payments": x509: certificate has expired or is not yet valid']]),
            line('WARN', 'webhook disabled after repeated failures', [['merchant_id', rng.pick(merchants)], ['failures', 5]]),
          ],
        },
      ];
      return schedule(rng, 900, background, episodes);
    },
  };
}
