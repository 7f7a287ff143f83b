import { describe, expect, it } from "vitest";
import { classifyError, ERROR_POLICIES } from "../../src/ib/error-codes.ts";

describe("IB error categories", () => {
  it.each([
    [100, "pacing"],
    [101, "pacing"],
    [200, "permanent"],
    [354, "data"],
    [502, "connectivity"],
    [1100, "connectivity"],
    [2104, "info"],
    [2103, "transient"],
    [10167, "info"],
  ] as const)("code %i is %s", (code, category) => {
    expect(classifyError(code).category).toBe(category);
  });

  it("treats unlisted warnings as info and unlisted errors as permanent (never retried blindly)", () => {
    expect(classifyError(2999).category).toBe("info");
    expect(classifyError(9999).category).toBe("permanent");
    expect(classifyError(9999).policy.retry).toBe(false);
    expect(ERROR_POLICIES.transient.retry).toBe(true);
  });
});
