/**
 * Smoke test of the wire-bytes bench: the quick run (the 1 MiB one-line edit, real `caxton serve` and
 * `caxton deploy`) gives a one-round-trip delta, and the table renders tools that are missing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { formatWireTable, runWireBench, type WireRow } from "../../bench/wire-bytes.js";

test(
  "quick run: a one-line edit in 1 MiB goes as a delta in one round trip",
  { timeout: 60_000 },
  async () => {
    const rows = await runWireBench({ quick: true });
    assert.equal(rows.length, 1);
    const row = rows[0] as WireRow;
    assert.equal(row.scenario, "edit-1mib");
    assert.deepEqual(row.warnings, []);
    assert.equal(row.ours.mode, "delta");
    assert.equal(row.ours.roundTrips, 1);
    assert.ok(row.fileBytes >= 1024 * 1024, `file of ${row.fileBytes} bytes`);
    assert.ok(row.ours.bytesSent < 4096, `${row.ours.bytesSent} bytes sent for a one-line edit`);
    for (const b of [row.xdelta3, row.zstdPatchFrom, row.zstdWhole]) {
      assert.ok(b === "not installed" || (Number.isInteger(b) && b > 0), String(b));
    }
  },
);

test("the table says which tools are not installed", () => {
  const table = formatWireTable([
    {
      scenario: "edit-1mib",
      label: "one-line edit, 1 MiB text file",
      changedFiles: 1,
      fileBytes: 1_048_618,
      ours: { bytesSent: 782, bytesReceived: 514, roundTrips: 1, payloadBytes: 153, mode: "delta" },
      xdelta3: "not installed",
      zstdPatchFrom: 152,
      zstdWhole: 245_328,
      warnings: ["an example warning"],
    },
  ]);
  const lines = table.split("\n");
  assert.match(lines[0] ?? "", /^\| scenario .*\| ours \/ xdelta3 \|$/);
  assert.match(lines[2] ?? "", /\| +782 \|.*\| not installed \| +152 \| +245,328 \| +— \|$/);
  assert.match(table, /- warning \(one-line edit, 1 MiB text file\): an example warning/);
});
