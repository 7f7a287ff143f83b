import type { ChainContract } from "./selection.ts";

/**
 * A collection slot cut into parts that several workers can take (issue 15, part 2): each part about a minute
 * of one gateway's pacing, whole expiries where they fit, a large expiry cut at strike boundaries so a strike's
 * call and put stay together. Pure; the queueing is the daemon's.
 */

/** Client messages one contract costs: its streaming request and the cancel (src/collect/snapshots.ts). */
export const MESSAGES_PER_CONTRACT = 2;

/** Contracts one gateway snapshots in `targetSeconds` at `messagesPerSecond`: the size of a part. */
export function contractsPerPart(messagesPerSecond: number, targetSeconds = 60): number {
  // Never below one strike's call and put, which a part keeps together.
  return Math.max(2, Math.floor((messagesPerSecond * targetSeconds) / MESSAGES_PER_CONTRACT));
}

export interface SlotPart<C extends ChainContract> {
  /** `slotKey#index`: the same contracts and size give the same keys, so queueing a part twice is harmless. */
  key: string;
  index: number;
  contracts: C[];
}

function compareContracts(a: ChainContract, b: ChainContract): number {
  if (a.expiry !== b.expiry) return a.expiry < b.expiry ? -1 : 1;
  if (a.strike !== b.strike) return a.strike - b.strike;
  if (a.right !== b.right) return a.right < b.right ? -1 : 1;
  return a.conId - b.conId;
}

/** Runs of equal `key` in an array already ordered by it. */
function runsBy<T>(items: readonly T[], key: (item: T) => string | number): T[][] {
  const runs: T[][] = [];
  for (const item of items) {
    const last = runs.at(-1);
    if (last !== undefined && key(last[0]!) === key(item)) last.push(item);
    else runs.push([item]);
  }
  return runs;
}

/**
 * Splits a slot's contracts into parts of at most `size` contracts (one strike of more than `size` contracts,
 * which a chain never has, would be a part of its own). Every contract is in exactly one part; the result does
 * not depend on the order the contracts came in.
 */
export function splitIntoParts<C extends ChainContract>(
  slotKey: string,
  contracts: readonly C[],
  size: number,
): SlotPart<C>[] {
  if (!Number.isInteger(size) || size < 2)
    throw new RangeError(`a part holds at least 2 contracts, not ${size}`);
  const groups: C[][] = [];
  for (const expiry of runsBy([...contracts].sort(compareContracts), (c) => c.expiry)) {
    if (expiry.length <= size) {
      groups.push(expiry);
      continue;
    }
    let chunk: C[] = [];
    for (const strike of runsBy(expiry, (c) => c.strike)) {
      if (chunk.length > 0 && chunk.length + strike.length > size) {
        groups.push(chunk);
        chunk = [];
      }
      chunk.push(...strike);
    }
    if (chunk.length > 0) groups.push(chunk);
  }
  // Neighbouring groups share a part while they fit: small expiries, and a cut expiry's last chunk with the next.
  const parts: C[][] = [];
  for (const group of groups) {
    const last = parts.at(-1);
    if (last !== undefined && last.length + group.length <= size) last.push(...group);
    else parts.push([...group]);
  }
  return parts.map((partContracts, index) => ({
    key: `${slotKey}#${index}`,
    index,
    contracts: partContracts,
  }));
}

/** How one part stands, as the aggregation needs it. */
export interface PartStanding {
  index: number;
  status: "queued" | "running" | "completed" | "partial" | "failed";
  contractCount: number;
  storedCount: number;
}

/**
 * A split collection's outcome from its parts: running while any part is queued or running; then completed when
 * every part is, else partial (something stored) or failed (nothing), with the parts not completed named.
 */
export interface PartsAggregate {
  state: "running" | "completed" | "partial" | "failed";
  total: number;
  completed: number;
  /** Indexes of the parts not completed (still to run, partial, or failed). */
  missing: number[];
  stored: number;
  selected: number;
  /** "parts 7/9, missing #3 #8" (completed parts of all). */
  text: string;
}

export function aggregateParts(parts: readonly PartStanding[]): PartsAggregate {
  const sorted = [...parts].sort((a, b) => a.index - b.index);
  const missing = sorted.filter((part) => part.status !== "completed").map((part) => part.index);
  const completed = sorted.length - missing.length;
  const stored = sorted.reduce((sum, part) => sum + part.storedCount, 0);
  const selected = sorted.reduce((sum, part) => sum + part.contractCount, 0);
  const open = sorted.some((part) => part.status === "queued" || part.status === "running");
  const state = open ? "running" : missing.length === 0 ? "completed" : stored > 0 ? "partial" : "failed";
  const text =
    `parts ${completed}/${sorted.length}` +
    (missing.length > 0 ? `, missing ${missing.map((index) => `#${index}`).join(" ")}` : "");
  return { state, total: sorted.length, completed, missing, stored, selected, text };
}
