import { createHash, timingSafeEqual } from "node:crypto";
import net from "node:net";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { UsageError } from "../core/errors.ts";

/** Addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (bare === "localhost" || bare === "::1") return true;
  const v4 = bare.startsWith("::ffff:") ? bare.slice("::ffff:".length) : bare;
  return net.isIPv4(v4) && v4.startsWith("127.");
}

/** As for http.token in the configuration: a short token is guessed in few tries. */
export const MIN_TOKEN_LENGTH = 16;

/** The endpoints' bearer token: `http.token`, else the variable `http.token_env` names (the env file's too). */
export function resolveHttpToken(
  http: { token?: string; token_env: string },
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (http.token !== undefined) return http.token;
  const fromEnv = env[http.token_env];
  if (fromEnv === undefined || fromEnv === "") return undefined;
  if (fromEnv.length < MIN_TOKEN_LENGTH)
    throw new UsageError(
      `${http.token_env} (http.token_env) is ${fromEnv.length} characters long; use at least ${MIN_TOKEN_LENGTH} ` +
        "(e.g. `openssl rand -hex 32`)",
    );
  return fromEnv;
}

/**
 * Refuses to serve an address other machines can reach without a token: /metrics and /readyz tell
 * anyone who can connect which symbols are collected and whether the gateway is up.
 */
export function assertExposureAllowed(host: string, token: string | undefined, tokenEnv: string): void {
  if (isLoopback(host) || token !== undefined) return;
  throw new UsageError(
    `http.host is ${host}, which other machines can reach, and no token is set: put ${tokenEnv}=<secret> ` +
      "(e.g. `openssl rand -hex 32`) in the environment or the daemon's env file, or set http.host: 127.0.0.1 " +
      "(or http.enabled: false)",
  );
}

const digest = (text: string): Buffer => createHash("sha256").update(text, "utf8").digest();

/**
 * Whether an Authorization header carries the token. Compared as SHA-256 digests with timingSafeEqual, so
 * neither the length nor the first differing character shows in how long the answer takes.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer[ \t]+(.+)$/i.exec(header?.trim() ?? "");
  const given = match?.[1]?.trim() ?? "";
  const same = timingSafeEqual(digest(given), digest(token));
  return same && given.length > 0;
}

/**
 * The cookie a browser holds the token in: a page cannot add an Authorization header to its own script and
 * image requests. Set by the dashboard when it is opened once with `?token=`.
 */
export const TOKEN_COOKIE = "chainvault_token";

function cookieToken(header: string | undefined): string | undefined {
  for (const part of header?.split(";") ?? []) {
    const [name, ...value] = part.trim().split("=");
    if (name === TOKEN_COOKIE) return decodeURIComponent(value.join("="));
  }
  return undefined;
}

/** Whether a request carries the token: as a bearer header, or (a browser) in the dashboard's cookie. */
export function requestHasToken(request: FastifyRequest, token: string): boolean {
  if (bearerMatches(request.headers.authorization, token)) return true;
  const fromCookie = cookieToken(request.headers.cookie);
  return fromCookie !== undefined && bearerMatches(`Bearer ${fromCookie}`, token);
}

/** Every request of `app` needs the token; a 401 says how to send it. */
export function requireToken(app: FastifyInstance, token: string): void {
  app.addHook("onRequest", async (request, reply) => {
    if (requestHasToken(request, token)) return;
    const query = request.query as { token?: unknown } | undefined;
    // The dashboard opened as /?token=…: remember it for the page's own requests.
    if (typeof query?.token === "string" && bearerMatches(`Bearer ${query.token}`, token)) {
      void reply.header(
        "set-cookie",
        `${TOKEN_COOKIE}=${encodeURIComponent(query.token)}; HttpOnly; SameSite=Strict; Path=/`,
      );
      return;
    }
    await reply
      .code(401)
      .header("www-authenticate", 'Bearer realm="chainvault"')
      .send({ error: "missing or wrong bearer token: send Authorization: Bearer <http.token>" });
  });
}
