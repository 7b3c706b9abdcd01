/** The pick_first builder and its registration, replacing core's simpler built-in. */
import { registerBalancer, type Balancer, type BalancerBuilder } from "@grpckit/core";
import * as z from "zod";
import { PickFirstBalancer, type PickFirstConfig } from "./pick-first-balancer.js";

const pickFirstConfigSchema: z.ZodType<PickFirstConfig> = z.looseObject({ shuffleAddressList: z.boolean().optional() });

/** The pick_first policy of gRFC A62, under the name "pick_first". */
export const pickFirstBalancer: BalancerBuilder<PickFirstConfig> = {
  name: "pick_first",
  configSchema: pickFirstConfigSchema,
  build: (cc) => new PickFirstBalancer(cc) as Balancer<PickFirstConfig>,
};

/** Registers this pick_first in the process-wide registry, in place of core's built-in. */
export function registerPickFirst(): void {
  registerBalancer(pickFirstBalancer as BalancerBuilder);
}
