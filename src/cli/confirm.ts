/** Asks a yes/no question on the terminal (stderr), reading one line of stdin; anything but y/yes is no. */
// node:readline loads only when a question is asked (most commands never ask one)
import { hostedSession } from "./hosted-session.js";

/** Can we ask? Only when a person is at both ends: stdin and stderr are terminals. */
export function canAsk(): boolean {
  const hosted = hostedSession.terminal;
  if (hosted) return hosted.tty.stdin && hosted.tty.stderr;
  return process.stdin.isTTY === true && process.stderr.isTTY === true;
}

export async function confirm(question: string): Promise<boolean> {
  const hosted = hostedSession.terminal;
  const answer = hosted ? await hosted.ask(`${question} [y/N] `) : await askLine(`${question} [y/N] `);
  return /^\s*y(es)?\s*$/i.test(answer);
}

/** One line typed at this process's terminal; "" when stdin ends first. */
export async function askLine(question: string): Promise<string> {
  const { createInterface } = await import("node:readline/promises");
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } catch {
    return "";
  } finally {
    rl.close();
  }
}
