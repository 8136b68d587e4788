// Shared by the variable-aware limits (page size, cost): argument values of a
// field with the request's variables applied, and running graphql-js
// validation rules at execution time (when the variables are known; yoga
// caches validation results per document, so rules that read variables must
// not run in onValidate).
import {
  GraphQLError,
  Kind,
  validate,
  type DocumentNode,
  type FieldNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValidationRule,
  type ValueNode,
} from 'graphql';

export type Variables = Record<string, unknown> | null | undefined;

/** Default values of the operation's variables (literals only). */
export function variableDefaults(op: OperationDefinitionNode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const def of op.variableDefinitions ?? []) {
    if (def.defaultValue) out[def.variable.name.value] = literal(def.defaultValue, {});
  }
  return out;
}

function literal(node: ValueNode, vars: Record<string, unknown>): unknown {
  switch (node.kind) {
    case Kind.INT:
      return Number.parseInt(node.value, 10);
    case Kind.FLOAT:
      return Number.parseFloat(node.value);
    case Kind.STRING:
    case Kind.BOOLEAN:
    case Kind.ENUM:
      return node.value;
    case Kind.NULL:
      return null;
    case Kind.VARIABLE:
      return vars[node.name.value];
    case Kind.LIST:
      return node.values.map((v) => literal(v, vars));
    case Kind.OBJECT:
      return Object.fromEntries(node.fields.map((f) => [f.name.value, literal(f.value, vars)]));
  }
}

/** The value of argument `name` of a field, variables applied (undefined when absent). */
export function argumentValue(field: FieldNode, name: string, vars: Record<string, unknown>): unknown {
  const arg = field.arguments?.find((a) => a.name.value === name);
  return arg ? literal(arg.value, vars) : undefined;
}

/** The operation that will run (by name, or the only one). */
export function selectedOperation(document: DocumentNode, operationName?: string | null): OperationDefinitionNode | undefined {
  const ops = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operationName) return ops.find((o) => o.name?.value === operationName);
  return ops.length === 1 ? ops[0] : undefined;
}

/** Runs rules against the document; the rules see only the selected operation. */
export function runRules(schema: GraphQLSchema, document: DocumentNode, rules: ValidationRule[]): readonly GraphQLError[] {
  return validate(schema, document, rules, { maxErrors: 10 });
}
