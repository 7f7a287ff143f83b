/**
 * A straight line y = intercept + slope·x fitted so that a few wild points cannot move it: a Theil–Sen start
 * (the median of all pairwise slopes, which tolerates up to ~29 % of arbitrary outliers), then weighted least
 * squares over the points that agree with the line, repeated until that set of points stops changing.
 *
 * Each point carries a `tolerance`: how far its y may honestly be from the truth (for a quote, half its bid/ask
 * spread). A point is kept while its residual is within max(3 robust standard deviations, its own tolerance),
 * and kept points are weighted by 1 / tolerance², so a tight quote counts more than a wide one.
 */

export interface LinePoint {
  x: number;
  y: number;
  /** > 0; floored at MIN_TOLERANCE. */
  tolerance: number;
}

export interface RobustLine {
  slope: number;
  intercept: number;
  /** Per input point, whether the final fit used it. */
  used: boolean[];
  /** Standard error of the slope from the weighted fit; null with fewer than three points used. */
  slopeStdError: number | null;
  /** Root mean square of the used points' residuals, in y units. */
  residualRms: number;
}

/** Half a cent: no quote is more precise than that. */
export const MIN_TOLERANCE = 0.005;
/** 1.4826 · MAD estimates a normal standard deviation. */
const MAD_TO_SIGMA = 1.4826;
const OUTLIER_SIGMAS = 3;
const MAX_ROUNDS = 10;

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * The robust line through `points`; null when fewer than two distinct x values are given. With `fixedSlope`
 * only the intercept is fitted (robustly, the same way), which needs one point.
 */
export function fitRobustLine(points: readonly LinePoint[], fixedSlope?: number): RobustLine | null {
  const weightedLine =
    fixedSlope === undefined ? freeLine : (kept: readonly LinePoint[]) => interceptOnly(kept, fixedSlope);
  const start = fixedSlope === undefined ? theilSen(points) : medianIntercept(points, fixedSlope);
  if (start === null) return null;
  let line = start;
  let used = points.map(() => true);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const residuals = points.map((p) => p.y - (line.intercept + line.slope * p.x));
    const scale = MAD_TO_SIGMA * median(residuals.map(Math.abs));
    const next = points.map(
      (p, i) => Math.abs(residuals[i]!) <= Math.max(OUTLIER_SIGMAS * scale, tolerance(p)),
    );
    const fitted = weightedLine(points.filter((_, i) => next[i]));
    if (fitted === null) break;
    const changed = next.some((flag, i) => flag !== used[i]);
    used = next;
    line = fitted;
    if (!changed && round > 0) break;
  }
  const kept = points.filter((_, i) => used[i]);
  const weighted = weightedLine(kept);
  if (weighted === null) {
    // Fewer than two distinct x agree with any line: report the Theil–Sen line over everything.
    return { ...start, used: points.map(() => true), slopeStdError: null, residualRms: rms(points, start) };
  }
  return { ...weighted, used, residualRms: rms(kept, weighted) };
}

function tolerance(point: LinePoint): number {
  return Math.max(point.tolerance, MIN_TOLERANCE);
}

function medianIntercept(
  points: readonly LinePoint[],
  slope: number,
): { slope: number; intercept: number } | null {
  if (points.length === 0) return null;
  return { slope, intercept: median(points.map((p) => p.y - slope * p.x)) };
}

/** The weighted mean of y − slope·x: least squares for the intercept alone. */
function interceptOnly(
  points: readonly LinePoint[],
  slope: number,
): { slope: number; intercept: number; slopeStdError: null } | null {
  let sw = 0;
  let sum = 0;
  for (const p of points) {
    const w = 1 / tolerance(p) ** 2;
    sw += w;
    sum += w * (p.y - slope * p.x);
  }
  return sw > 0 ? { slope, intercept: sum / sw, slopeStdError: null } : null;
}

function theilSen(points: readonly LinePoint[]): { slope: number; intercept: number } | null {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const dx = points[j]!.x - points[i]!.x;
      if (dx !== 0) slopes.push((points[j]!.y - points[i]!.y) / dx);
    }
  }
  if (slopes.length === 0) return null;
  const slope = median(slopes);
  return { slope, intercept: median(points.map((p) => p.y - slope * p.x)) };
}

/** Weighted least squares with weights 1 / tolerance²; x is centred on its weighted mean for precision. */
function freeLine(
  points: readonly LinePoint[],
): { slope: number; intercept: number; slopeStdError: number | null } | null {
  let sw = 0;
  let swx = 0;
  let swy = 0;
  for (const p of points) {
    const w = 1 / tolerance(p) ** 2;
    sw += w;
    swx += w * p.x;
    swy += w * p.y;
  }
  if (sw === 0) return null;
  const xMean = swx / sw;
  const yMean = swy / sw;
  let sxx = 0;
  let sxy = 0;
  for (const p of points) {
    const w = 1 / tolerance(p) ** 2;
    sxx += w * (p.x - xMean) ** 2;
    sxy += w * (p.x - xMean) * (p.y - yMean);
  }
  if (!(sxx > 0)) return null;
  const slope = sxy / sxx;
  const intercept = yMean - slope * xMean;
  let slopeStdError: number | null = null;
  if (points.length > 2) {
    let ssr = 0;
    for (const p of points) ssr += (p.y - intercept - slope * p.x) ** 2 / tolerance(p) ** 2;
    slopeStdError = Math.sqrt(ssr / (points.length - 2) / sxx);
  }
  return { slope, intercept, slopeStdError };
}

function rms(points: readonly LinePoint[], line: { slope: number; intercept: number }): number {
  if (points.length === 0) return 0;
  const sum = points.reduce((total, p) => total + (p.y - line.intercept - line.slope * p.x) ** 2, 0);
  return Math.sqrt(sum / points.length);
}
