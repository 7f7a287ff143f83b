/**
 * Gauss–Legendre quadrature on [−1, 1]: the n nodes are the roots of the Legendre polynomial P_n, found by
 * Newton's method from the asymptotic estimate cos(π(i − ¼)/(n + ½)); the weights are 2 / ((1 − x²) P_n'(x)²).
 * Exact for polynomials of degree 2n − 1. Computed once per n and cached.
 */

export interface Quadrature {
  nodes: Float64Array;
  weights: Float64Array;
}

const cache = new Map<number, Quadrature>();

export function gaussLegendre(n: number): Quadrature {
  if (!Number.isInteger(n) || n < 1 || n > 512)
    throw new RangeError(`Gauss–Legendre needs 1..512 nodes, got ${n}`);
  const cached = cache.get(n);
  if (cached) return cached;
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let derivative = 1;
    for (let iteration = 0; iteration < 100; iteration++) {
      // P_n(x) and P_{n−1}(x) by the three-term recurrence.
      let current = 1;
      let previous = 0;
      for (let j = 1; j <= n; j++) {
        const older = previous;
        previous = current;
        current = ((2 * j - 1) * x * previous - (j - 1) * older) / j;
      }
      derivative = (n * (x * current - previous)) / (x * x - 1);
      const step = current / derivative;
      x -= step;
      if (Math.abs(step) <= 1e-15) break;
    }
    nodes[i] = x;
    weights[i] = 2 / ((1 - x * x) * derivative * derivative);
  }
  const quadrature = { nodes, weights };
  cache.set(n, quadrature);
  return quadrature;
}

/**
 * Gauss–Legendre in √u for ∫_0^L f(u) du where f varies like √u near 0, as the American model's boundary and
 * premium integrals do: with u = x², ∫_0^L f(u) du = ∫_0^√L 2x·f(x²) dx, which is smooth. Given per unit
 * length, so one rule serves every L:  ∫_0^L f(u) du ≈ L · Σ weights[i] · f(L · fractions[i]).
 */
export interface SquareRootRule {
  fractions: Float64Array;
  weights: Float64Array;
}

const squareRootCache = new Map<number, SquareRootRule>();

export function squareRootRule(n: number): SquareRootRule {
  const cached = squareRootCache.get(n);
  if (cached) return cached;
  const { nodes, weights } = gaussLegendre(n);
  const rule = { fractions: new Float64Array(n), weights: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const x = (1 + nodes[i]!) / 2; // the node mapped to [0, 1]: x = √(u / L)
    rule.fractions[i] = x * x;
    rule.weights[i] = weights[i]! * x; // (1/2)·w for dx, times 2x for du = 2x dx
  }
  squareRootCache.set(n, rule);
  return rule;
}
