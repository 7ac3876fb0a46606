import type { Anomaly } from '../../src/anomaly.js';

/** An anomaly with sensible defaults; override what the test is about. */
export function makeAnomaly(over: Partial<Anomaly> = {}): Anomaly {
  const now = Date.now();
  return {
    id: `a-${Math.random().toString(36).slice(2)}`,
    kind: 'new_pattern',
    service: 'payment-gateway',
    level: 'error',
    patternId: 'p-1',
    template: 'charge failed for card <HEX> after <DURATION>',
    message: 'charge failed for card 4f3a after 120ms',
    samples: ['charge failed for card 4f3a after 120ms'],
    score: 0.9,
    reason: 'A new ERROR pattern appeared in payment-gateway.',
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    timestamp: now - 50,
    detectedAt: now,
    count: 1,
    attributes: { 'http.route': '/charge' },
    resource: { 'service.name': 'payment-gateway', 'deployment.environment': 'prod' },
    ...over,
  };
}
