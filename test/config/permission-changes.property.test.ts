// Permission moves: reversing a change reverses every move, and a change to itself moves nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { permissionChanges, type Permissions } from "../../src/config/permission-changes.js";

const permissions: fc.Arbitrary<Permissions | undefined> = fc.option(
  fc.record(
    {
      file_access: fc.constantFrom("none", "readonly", "readwrite"),
      network_access: fc.constantFrom("none", "restricted", "full"),
      memory_limit: fc.constantFrom("512MiB", "1GiB", "1024MiB", "2GB"),
      cpu_limit: fc.constantFrom("500ms", "1s", "1000ms", "2m"),
    },
    { requiredKeys: [] },
  ),
  { nil: undefined },
);

test("permission moves: the reverse change reverses each move; no change, no move", () => {
  fc.assert(
    fc.property(permissions, permissions, (b, a) => {
      const forth = permissionChanges(b, a);
      const back = permissionChanges(a, b);
      assert.deepEqual(
        back,
        forth.map((m) => ({
          field: m.field,
          direction: m.direction === "narrowed" ? "widened" : "narrowed",
          before: m.after,
          after: m.before,
        })),
      );
      assert.deepEqual(permissionChanges(a, a), []);
    }),
    { numRuns: 500 },
  );
});
