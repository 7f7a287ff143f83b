// Public entry points for programs that embed chainvault.
export type { Database, Engine, Queryable, QueryResult } from "./store/database.ts";
