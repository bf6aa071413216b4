/** Asks a yes/no question on the terminal (stderr), reading one line of stdin; anything but y/yes is no. */
// node:readline loads only when a question is asked (most commands never ask one)

/** Can we ask? Only when a person is at both ends: stdin and stderr are terminals. */
export function canAsk(): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true;
}

export async function confirm(question: string): Promise<boolean> {
  const { createInterface } = await import("node:readline/promises");
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    rl.close();
  }
}
