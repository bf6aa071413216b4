/** Reads a server's event stream (`GET /api/v1/events`) the way a subscriber does, for tests. */
import { request } from "node:http";

export interface SseEvent {
  id: string;
  event: string;
  data: Record<string, unknown>;
}

/** Opens the event stream and collects events until `count` arrived (or the timeout). */
export function collectEvents(url: string, count: number, lastEventId?: string): Promise<SseEvent[]> {
  return new Promise((resolve, reject) => {
    const events: SseEvent[] = [];
    const req = request(
      `${url}/api/v1/events`,
      { headers: lastEventId ? { "Last-Event-ID": lastEventId } : {} },
      (res) => {
        let buffer = "";
        res.on("data", (chunk: Buffer) => {
          buffer += chunk.toString();
          let cut: number;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const fields = Object.fromEntries(
              block
                .split("\n")
                .filter((l) => /^(id|event|data): /.test(l))
                .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 2)]),
            );
            if (fields.data) {
              events.push({
                id: fields.id ?? "",
                event: fields.event ?? "",
                data: JSON.parse(fields.data) as Record<string, unknown>,
              });
              if (events.length >= count) {
                req.destroy();
                resolve(events);
              }
            }
          }
        });
      },
    );
    req.on("error", (err) => (events.length >= count ? undefined : reject(err)));
    req.end();
    setTimeout(() => {
      req.destroy();
      resolve(events);
    }, 10_000).unref();
  });
}
