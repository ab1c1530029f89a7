/**
 * Answers written from their response schemas: each answer is projected onto the schema the
 * API reference documents for its status, then written as JSON. A property the schema does not
 * name is left out (unless the object is open: additionalProperties true), so an answer never
 * carries more than the reference says, and the properties come in the schema's order, the
 * order a lender's developer reads in the reference (and the order loan-view.ts keeps).
 *
 * Not fast-json-stringify (Fastify's default): it writes required properties before optional
 * ones, which breaks that order. Values are written by JSON.stringify as before: exact numbers
 * (ExactNumber) by their toJSON, dates as ISO text; nothing is coerced to the schema's type.
 */

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
}

type Projection = (value: unknown) => unknown;

const asIs: Projection = (value) => value;

function objectProjection(properties: Record<string, Schema>, open: boolean): Projection {
  const keys = Object.keys(properties);
  const children = keys.map((k) => projection(properties[k]));
  return (value) => {
    if (!value || typeof value !== 'object' || Array.isArray(value) || typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
    const v = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i++) {
      const field = v[keys[i]!];
      if (field !== undefined) out[keys[i]!] = children[i]!(field);
    }
    if (open) for (const key of Object.keys(v)) if (!(key in properties) && v[key] !== undefined) out[key] = v[key];
    return out;
  };
}

/** The projection of a schema: objects to their named properties, arrays item by item, anything else as it is. */
export function projection(schema: Schema | undefined): Projection {
  if (!schema || typeof schema !== 'object') return asIs;
  const branches = schema.anyOf ?? schema.oneOf ?? schema.allOf;
  if (branches) {
    // A union (a value or null, one of several shapes): the properties any object branch names.
    const objects = branches.filter((b) => b.properties);
    if (objects.length === 0) return asIs;
    const properties = Object.assign({}, ...objects.map((b) => b.properties)) as Record<string, Schema>;
    return objectProjection(properties, objects.some((b) => b.additionalProperties === true || typeof b.additionalProperties === 'object'));
  }
  if (schema.items) {
    const item = projection(schema.items);
    return (value) => (Array.isArray(value) ? value.map(item) : value);
  }
  if (schema.properties) {
    return objectProjection(schema.properties, schema.additionalProperties === true || typeof schema.additionalProperties === 'object');
  }
  return asIs;
}

/** Fastify's serializer for a route's response schema of one status. */
export function schemaSerializer(schema: unknown): (data: unknown) => string {
  const project = projection(schema as Schema);
  return (data) => JSON.stringify(project(data));
}
