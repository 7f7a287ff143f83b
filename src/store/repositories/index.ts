// Repositories: plain parameterized SQL over the Database interface, one file per table.
export * from "./underlying-securities.ts";
export * from "./option-chains.ts";
export * from "./quotes.ts";
export * from "./underlying-ticks.ts";
export * from "./collection-status.ts";
export * from "./lifecycle.ts";
export * from "./dead-letters.ts";
export * from "./quality-issues.ts";
