/**
 * What the gateway learns of a GraphQL operation before it reaches the backend: is it valid against
 * the API's schema (the GraphQL spec's §6 validation, by the reference implementation), how deep
 * and how costly it is, which fields it selects (for field scopes) and which operations — root
 * fields — it calls (for per-operation throttling). Pure functions of schema and document; the
 * step (step.ts) turns them into answers. This module is the only one that imports `graphql`, and
 * is itself imported lazily, so REST APIs never pay for evaluating it.
 */
import {
  GraphQLError,
  Kind,
  buildSchema,
  getNamedType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  parse,
  validate,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { BoundedCache } from '../../../shared/lru.ts';

/** A GraphQL error as the response's `errors` list carries it (GraphQL spec §7.1.2). */
export interface WireError {
  readonly message: string;
  readonly locations?: ReadonlyArray<{ readonly line: number; readonly column: number }>;
  readonly extensions?: Readonly<Record<string, unknown>>;
}

export interface CompiledSchema {
  readonly schema: GraphQLSchema;
  /** Documents already parsed and validated against this schema, by query text: repeated queries skip both. */
  readonly documents: BoundedCache<string, CheckedDocument>;
}

type CheckedDocument =
  { readonly ok: true; readonly document: DocumentNode } | { readonly ok: false; readonly errors: readonly WireError[] };

/** Caps the tokens the parser reads, so a huge document costs bounded CPU before it is refused (graphql-js `maxTokens`). */
const MAX_TOKENS = 20_000;

/** Compiles an API's SDL once per snapshot version; a schema that does not build is a stored revision damaged since (the control plane checked it). */
export function compileSchema(sdl: string): CompiledSchema {
  return { schema: buildSchema(sdl), documents: new BoundedCache({ maxEntries: 200, maxAgeMs: 10 * 60_000 }) };
}

export function checkDocument(compiled: CompiledSchema, query: string): CheckedDocument {
  const known = compiled.documents.get(query);
  if (known !== undefined) return known;
  let checked: CheckedDocument;
  try {
    const document = parse(query, { maxTokens: MAX_TOKENS, noLocation: false });
    const errors = validate(compiled.schema, document);
    checked = errors.length === 0 ? { ok: true, document } : { ok: false, errors: errors.map((e) => wire(e, 'GRAPHQL_VALIDATION_FAILED')) };
  } catch (err) {
    if (!(err instanceof GraphQLError)) throw err;
    checked = { ok: false, errors: [wire(err, 'GRAPHQL_PARSE_FAILED')] };
  }
  compiled.documents.set(query, checked);
  return checked;
}

function wire(error: GraphQLError, code: string): WireError {
  return {
    message: error.message,
    ...(error.locations === undefined ? {} : { locations: error.locations.map((l) => ({ line: l.line, column: l.column })) }),
    extensions: { code },
  };
}

/** The operation a request runs (GraphQL over HTTP: `operationName`, or the document's only operation). */
export function selectOperation(document: DocumentNode, operationName: string | null): OperationDefinitionNode | string {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operationName !== null)
    return operations.find((o) => o.name?.value === operationName) ?? `No operation named ${operationName} in the document`;
  if (operations.length === 1 && operations[0] !== undefined) return operations[0];
  return 'The document has several operations: name the one to run with operationName';
}

export interface Analysis {
  /** Deepest field nesting (a root field is depth 1; fragments expanded; `__typename` and introspection not counted). */
  readonly depth: number;
  /** Complexity points (see `fieldCost`). */
  readonly complexity: number;
  /** Every field selected, as `Type.field` coordinates, in the order first met. */
  readonly fields: readonly string[];
  /** The root fields, as coordinates (`Query.books`): the operations the call invokes. */
  readonly operations: readonly string[];
  /** Whether the operation reads the schema (`__schema` or `__type`). */
  readonly introspection: boolean;
}

export interface CostModel {
  /** Points per field by coordinate; any other field costs 1, `__typename` 0. */
  readonly fieldCosts: Readonly<Record<string, number>>;
}

/** List-size arguments whose value multiplies the cost of the field's selection (Relay's `first`/`last`, and the common `limit`). */
const SIZE_ARGUMENTS = new Set(['first', 'last', 'limit']);

/**
 * Walks the operation once. A field costs its own points plus its selection's cost times its
 * list size, when it has a size argument (literal or variable); otherwise its selection's cost
 * once. The document has been validated, so every field exists and fragments do not cycle.
 */
export function analyse(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>>,
  model: CostModel,
): Analysis {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const root = schema.getRootType(operation.operation);
  const fields = new Set<string>();
  const operations = new Set<string>();
  let introspection = false;
  if (root === undefined || root === null) return { depth: 0, complexity: 0, fields: [], operations: [], introspection: false };

  const walk = (
    set: SelectionSetNode,
    parent: GraphQLCompositeType,
    depth: number,
    seen: ReadonlySet<string>,
  ): { depth: number; cost: number } => {
    let deepest = depth - 1;
    let cost = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name === '__typename') continue;
        // Introspection is answered from the schema, not by resolvers: the introspection switch
        // governs it, not depth or cost (graphql-js's own introspection query nests ofType 8 deep).
        if (depth === 1 && (name === '__schema' || name === '__type')) {
          introspection = true;
          continue;
        }
        const definition = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
        const coordinate = `${parent.name}.${name}`;
        if (!name.startsWith('__')) fields.add(coordinate);
        if (depth === 1 && !name.startsWith('__')) operations.add(coordinate);
        const own = model.fieldCosts[coordinate] ?? 1;
        const child = definition === undefined ? null : getNamedType(definition.type);
        if (selection.selectionSet !== undefined && child !== null && child !== undefined && isCompositeType(child)) {
          const inner = walk(selection.selectionSet, child, depth + 1, seen);
          deepest = Math.max(deepest, inner.depth);
          cost += own + listSize(selection.arguments ?? [], variables) * inner.cost;
        } else {
          deepest = Math.max(deepest, depth);
          cost += own;
        }
        continue;
      }
      const fragment = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
      if (fragment === undefined) continue;
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        // Validation rules out cycles; the guard keeps a malformed cache entry from looping.
        if (seen.has(selection.name.value)) continue;
        seen = new Set([...seen, selection.name.value]);
      }
      const condition = fragment.typeCondition === undefined ? parent : schema.getType(fragment.typeCondition.name.value);
      if (condition === undefined || condition === null || !isCompositeType(condition)) continue;
      const inner = walk(fragment.selectionSet, condition, depth, seen);
      deepest = Math.max(deepest, inner.depth);
      cost += inner.cost;
    }
    return { depth: deepest, cost };
  };
  const { depth, cost } = walk(operation.selectionSet, root, 1, new Set());
  return { depth: Math.max(0, depth), complexity: cost, fields: [...fields], operations: [...operations], introspection };
}

function listSize(
  args: ReadonlyArray<{ readonly name: { readonly value: string }; readonly value: ValueNode }>,
  variables: Readonly<Record<string, unknown>>,
): number {
  for (const arg of args) {
    if (!SIZE_ARGUMENTS.has(arg.name.value)) continue;
    const value =
      arg.value.kind === Kind.INT
        ? Number(arg.value.value)
        : arg.value.kind === Kind.VARIABLE
          ? variables[arg.value.name.value]
          : undefined;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  }
  return 1;
}
