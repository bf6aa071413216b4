/**
 * The client terminal of the command the file-system monitor is running for a client, if it is running one
 * (host-command.ts sets it for the command's duration): a question goes to that terminal, not to the
 * monitor's own stdin, which is no one's.
 */
import type { HostedTerminal } from "../client/hosted-command.js";

export const hostedSession: { terminal: HostedTerminal | null } = { terminal: null };
