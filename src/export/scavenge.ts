import v8 from "node:v8";
import vm from "node:vm";

/**
 * Keeps an export's memory flat. An export streams gigabytes through short-lived buffers (socket reads, COPY
 * data chunks) whose memory V8 gives back only when a scavenge collects the small objects holding them. The
 * scavenge comes when the young generation (16 MB semi-spaces by default) fills with objects, and the buffers
 * are far larger than their holders: 40-100 MB of spent buffers piled up between scavenges, and the peak RSS
 * grew with the export (218 MB at 10 M rows, 120 MB with a small heap: docs/backtesting.md, Figures). V8 sizes
 * the young generation only at start-up, so instead the export asks for a scavenge every SCAVENGE_EVERY_MS:
 * each takes well under a millisecond (the buffers are already dead), and what piles up is bounded by what
 * arrives in that interval.
 */

const SCAVENGE_EVERY_MS = 50;

type GcFunction = (options: { type: "minor" | "major" }) => void;

let gc: GcFunction | null | undefined;

/** V8's gc() (a new context gets it while --expose-gc is set); null where the runtime does not provide it. */
function minorGc(): GcFunction | null {
  if (gc !== undefined) return gc;
  try {
    const exposed = typeof globalThis.gc === "function";
    if (!exposed) v8.setFlagsFromString("--expose-gc");
    const found: unknown = vm.runInNewContext("typeof gc === 'function' ? gc : null");
    // Only this module holds it; new contexts (workers, test runners) stay as they were.
    if (!exposed) v8.setFlagsFromString("--no-expose-gc");
    gc = typeof found === "function" ? (found as GcFunction) : null;
  } catch {
    gc = null;
  }
  return gc;
}

/** Runs `work` with a scavenge every SCAVENGE_EVERY_MS until it settles. */
export async function withScavenges<T>(work: () => Promise<T>): Promise<T> {
  const collect = minorGc();
  if (collect === null) return work();
  const timer = setInterval(() => collect({ type: "minor" }), SCAVENGE_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
