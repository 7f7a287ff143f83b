import { UsageError } from "./errors.ts";

/**
 * The gateways a configuration describes, in one form whichever the file used: `gateways:` (several) or the
 * `ib:` block (the one-gateway short form, named "default"). Pure: no connection is made here.
 */
export interface GatewayConfig {
  name: string;
  host: string;
  port: number;
  clientId: number;
  /** The IB username; connections with the same login share its pacing and market-data lines. */
  login: string;
  /** The login's budgets as configured (before they are shared among its connections). */
  loginMessagesPerSecond: number;
  loginMarketDataLines: number;
}

/** A gateway connection with its share of its login's budgets: what its pacer may spend. */
export interface GatewayBudget extends GatewayConfig {
  /** Connections configured on the same login, this one included. */
  connectionsOnLogin: number;
  maxMessagesPerSecond: number;
  maxMarketDataLines: number;
}

interface GatewaySettings {
  ib: {
    host: string;
    port: number;
    client_id: number;
    max_messages_per_second: number;
    max_market_data_lines: number;
  };
  gateways?:
    | {
        name: string;
        host: string;
        port: number;
        client_id: number;
        login?: string | undefined;
        max_messages_per_second: number;
        max_market_data_lines: number;
      }[]
    | undefined;
}

export const DEFAULT_GATEWAY_NAME = "default";

export function configuredGateways(config: GatewaySettings): GatewayConfig[] {
  if (config.gateways === undefined) {
    const { ib } = config;
    return [
      {
        name: DEFAULT_GATEWAY_NAME,
        host: ib.host,
        port: ib.port,
        clientId: ib.client_id,
        login: DEFAULT_GATEWAY_NAME,
        loginMessagesPerSecond: ib.max_messages_per_second,
        loginMarketDataLines: ib.max_market_data_lines,
      },
    ];
  }
  return config.gateways.map((entry) => ({
    name: entry.name,
    host: entry.host,
    port: entry.port,
    clientId: entry.client_id,
    login: entry.login ?? entry.name,
    loginMessagesPerSecond: entry.max_messages_per_second,
    loginMarketDataLines: entry.max_market_data_lines,
  }));
}

/**
 * IB counts messages per second and market-data lines per login, so a second client id on one login gets no
 * more of either: the login's budget (the smallest any of its entries states, since they describe one login)
 * is split evenly among its connections. Distinct logins each keep their whole budget.
 */
export function gatewayBudgets(gateways: readonly GatewayConfig[]): GatewayBudget[] {
  const byLogin = new Map<string, GatewayConfig[]>();
  for (const gateway of gateways)
    byLogin.set(gateway.login, [...(byLogin.get(gateway.login) ?? []), gateway]);
  return gateways.map((gateway) => {
    const shared = byLogin.get(gateway.login) ?? [gateway];
    const rate = Math.min(...shared.map((entry) => entry.loginMessagesPerSecond));
    const lines = Math.min(...shared.map((entry) => entry.loginMarketDataLines));
    return {
      ...gateway,
      connectionsOnLogin: shared.length,
      maxMessagesPerSecond: rate / shared.length,
      maxMarketDataLines: Math.floor(lines / shared.length),
    };
  });
}

/** Why a list of gateways cannot be budgeted (a login with more connections than lines), one line each. */
export function gatewayBudgetProblems(gateways: readonly GatewayConfig[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const budget of gatewayBudgets(gateways)) {
    if (budget.maxMarketDataLines >= 1 || seen.has(budget.login)) continue;
    seen.add(budget.login);
    problems.push(
      `login "${budget.login}" has ${budget.connectionsOnLogin} connections but only ` +
        `${budget.loginMarketDataLines} market-data lines to share among them`,
    );
  }
  return problems;
}

/**
 * The gateway a process connects to: the one named, else the first listed (the `ib:` block's when no list is
 * given). An unknown name is a usage error naming the configured ones.
 */
export function selectGateway(config: GatewaySettings, name?: string): GatewayBudget {
  const budgets = gatewayBudgets(configuredGateways(config));
  const chosen = name === undefined ? budgets[0] : budgets.find((budget) => budget.name === name);
  if (chosen === undefined)
    throw new UsageError(
      `no gateway named "${name}" in the configuration; configured: ${budgets.map((b) => b.name).join(", ")}`,
    );
  return chosen;
}

/**
 * The configuration with the named gateway first, so everything that connects to "the first gateway" uses it;
 * the list's logins, and so every connection's share, are unchanged. An unknown name is a usage error.
 */
export function preferGateway<T extends GatewaySettings>(config: T, name: string): T {
  selectGateway(config, name);
  if (config.gateways === undefined) return config;
  const named = config.gateways.filter((entry) => entry.name === name);
  return { ...config, gateways: [...named, ...config.gateways.filter((entry) => entry.name !== name)] };
}
