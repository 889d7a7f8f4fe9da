// Config schema of price overrides (`prices:` in tollgate.yaml). Owned by the price catalog.
import { z } from 'zod';

export const priceOverridesSchema = z.array(z.unknown()).default([]);
export type PriceOverrides = z.infer<typeof priceOverridesSchema>;
