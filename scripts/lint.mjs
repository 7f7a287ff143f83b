// `npm run lint`: the type check, eslint and prettier at once (they are independent, and CI has two cores),
// each one's output printed whole when it ends; fails when any fails. Caches live in node_modules/.cache.
import { spawn } from "node:child_process";

const steps = [
  ["tsc", "--noEmit"],
  ["eslint", "--cache", "--cache-location", "node_modules/.cache/eslint/", "."],
  ["prettier", "--check", "--cache", "."],
];

const results = await Promise.all(
  steps.map(
    ([command, ...args]) =>
      new Promise((resolve) => {
        const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], shell: false });
        let output = "";
        child.stdout.on("data", (chunk) => (output += chunk));
        child.stderr.on("data", (chunk) => (output += chunk));
        child.on("error", (error) => resolve({ command, code: 1, output: `${output}${error.message}\n` }));
        child.on("close", (code) => resolve({ command, code: code ?? 1, output }));
      }),
  ),
);
for (const { command, code, output } of results) {
  process.stdout.write(`> ${command}: ${code === 0 ? "ok" : `failed (exit ${code})`}\n${output}`);
}
process.exitCode = results.some((result) => result.code !== 0) ? 1 : 0;
