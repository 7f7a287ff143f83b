/**
 * What is wrong with a DATABASE_URL / database.url, said before anything connects: without this a
 * mistyped URL reaches `pg`, which reports a DNS failure for whatever it took as the host. The
 * messages never repeat the URL, since it may hold a password.
 */
export function databaseUrlProblem(url: string): string | null {
  const shape = "postgres://user:password@host:5432/database";
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url);
  if (!scheme) return `is not a connection URL: write it as ${shape}`;
  const protocol = scheme[1]!.toLowerCase();
  if (protocol !== "postgres" && protocol !== "postgresql") {
    return `must start with postgres:// or postgresql://, not ${protocol}://`;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return (
      `cannot be read as ${shape}; characters such as @ # / ? : in the user or password must be ` +
      "percent-encoded (%40 %23 %2F %3F %3A)"
    );
  }
  if (parsed.hash !== "") {
    return 'contains "#", which ends a URL: percent-encode it in the password as %23';
  }
  if (parsed.hostname === "" && !parsed.searchParams.has("host")) {
    return `names no host: write it as ${shape}`;
  }
  return null;
}
