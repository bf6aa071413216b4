/**
 * One Server-Sent Events block (the text between blank lines), as the HTML standard reads it: `id:`,
 * `event:`, `data:` (several joined by newlines), `retry:`; comment lines skipped; one space after the
 * colon dropped. Written here because the page reads the stream with fetch (to send the token in a header),
 * and EventSource, which would parse it, cannot send headers. Pure: no DOM.
 */
export interface SseFrame {
  id: string | null;
  event: string;
  data: string | null;
  retry: number;
}

export function parseSseBlock(block: string): SseFrame {
  let id: string | null = null;
  let event = "message";
  const data: string[] = [];
  let retry = 0;
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "id") id = value;
    else if (field === "event") event = value;
    else if (field === "data") data.push(value);
    else if (field === "retry" && /^\d+$/.test(value)) retry = Number(value);
  }
  return { id, event, data: data.length ? data.join("\n") : null, retry };
}
