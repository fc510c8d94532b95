import * as z from 'zod/v4/mini';

/** What the JSON Schema of a wire schema says besides its shape. */
export type SchemaDoc = { title?: string; description?: string };

/**
 * Titles and descriptions of the wire schemas, read when the AsyncAPI document is generated. A registry of this
 * package rather than zod's global one, so nothing is written into the application's zod.
 */
export const schemaDocs = /* @__PURE__ */ z.registry<SchemaDoc>();
