/**
 * Waits for a condition, checking it every `intervalMs`, and fails with `what` once `timeoutMs` has
 * passed: tests wait for events with a generous ceiling, never for a fixed time.
 */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  options: { what: string; timeoutMs?: number; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 25));
  }
}
