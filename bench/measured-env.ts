/**
 * The environment every measured process gets — caxton, git and rsync alike: PATH, LANG=C and what the
 * scenario sets, nothing else of the bench's own environment. A variable a machine happens to set can cost
 * one tool and not the other: NODE_EXTRA_CA_CERTS, for one, makes every Node process read and parse a
 * certificate bundle at start-up (~45 ms on the 2-core machine), which git and rsync never pay.
 */
export function measuredEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C", ...extra };
}
