/** `POST /api/v1/negotiate`: is this root live already, and which of these objects does the server hold. */
import { NegotiateHeaderSchema, type NegotiateResponse } from "../protocol/messages.js";
import { encodeBitmap } from "../protocol/negotiate-body.js";
import { parseMessage } from "../protocol/parse-message.js";
import { currentDeployment, type DeployContext } from "./deploy-context.js";

export async function negotiate(
  ctx: DeployContext,
  rawHeader: unknown,
  hashes: readonly string[],
): Promise<NegotiateResponse> {
  const header = parseMessage(NegotiateHeaderSchema, rawHeader, "invalid negotiation header");
  const current = await currentDeployment(ctx.workspace);
  const upToDate = current?.checksum === header.root;
  return {
    current: current
      ? { deployment_id: current.deployment_id, checksum: current.checksum, time: current.time }
      : null,
    up_to_date: upToDate,
    have: encodeBitmap(upToDate ? [] : await ctx.store.objects.hasMany(hashes)),
  };
}
