import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { ValidationError } from '@aman/errors';
import { PROTO_ROOT } from '@aman/service-kit';

/**
 * JSON Schemas of the protobuf messages in proto/, for the AsyncAPI document: one per message, in
 * the JSON form the platform's ts-proto code reads and writes (lowerCamel field names, enums by
 * name, timestamps as RFC 3339, 64-bit integers as numbers, bytes as base64). Read from the .proto
 * files themselves, so the document cannot drift from the contracts; the subset of the language
 * that proto/ uses is parsed (messages, nested ones, enums, oneof, map, optional, repeated), and
 * anything else is an error rather than a silent gap.
 */

export type JsonSchema = { readonly [keyword: string]: unknown };

type Field = {
  readonly name: string;
  readonly type: string;
  readonly label: 'repeated' | 'optional' | 'singular';
  /** The value type of a `map<string, V>`; `type` is then the key type. */
  readonly mapValue?: string;
  readonly oneof?: string;
  readonly comment: string;
};

type Declaration =
  | {
      readonly kind: 'message';
      readonly fullName: string;
      readonly fields: readonly Field[];
      readonly comment: string;
      readonly file: string;
    }
  | {
      readonly kind: 'enum';
      readonly fullName: string;
      readonly values: readonly { readonly name: string; readonly number: number }[];
      readonly comment: string;
      readonly file: string;
    };

const SCALARS: Readonly<Record<string, JsonSchema>> = {
  string: { type: 'string' },
  bool: { type: 'boolean' },
  bytes: { type: 'string', contentEncoding: 'base64' },
  double: { type: 'number' },
  float: { type: 'number' },
  // ts-proto is generated with 64-bit integers as numbers: its JSON carries numbers too.
  ...Object.fromEntries(
    ['int32', 'sint32', 'sfixed32', 'uint32', 'fixed32', 'int64', 'sint64', 'sfixed64']
      .concat(['uint64', 'fixed64'])
      .map((type) => [type, { type: 'integer' }]),
  ),
};

const WELL_KNOWN: Readonly<Record<string, JsonSchema>> = {
  'google.protobuf.Timestamp': { type: 'string', format: 'date-time' },
};

/** Every message and enum declared under proto/aman, by full name (e.g. `aman.intake.v1.Case`). */
export function protoDeclarations(rootPath: string = PROTO_ROOT): ReadonlyMap<string, Declaration> {
  const declarations = new Map<string, Declaration>();
  for (const file of protoFiles(join(rootPath, 'aman'))) {
    const relative = file.slice(rootPath.length);
    for (const declaration of parseProto(readFileSync(file, 'utf8'), relative)) {
      declarations.set(declaration.fullName, declaration);
    }
  }
  return declarations;
}

function protoFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) return protoFiles(path);
      return entry.endsWith('.proto') ? [path] : [];
    });
}

/**
 * The JSON Schemas of `roots` and of every message and enum they reach, by full name; message
 * fields refer to each other as `#/components/schemas/<full name>`.
 */
export function jsonSchemasOf(
  roots: readonly string[],
  declarations: ReadonlyMap<string, Declaration> = protoDeclarations(),
): Record<string, JsonSchema> {
  const schemas: Record<string, JsonSchema> = {};
  const pending = [...roots];
  for (let fullName = pending.pop(); fullName !== undefined; fullName = pending.pop()) {
    if (fullName in schemas) continue;
    const declaration = declarations.get(fullName);
    if (declaration === undefined) {
      throw new ValidationError(`${fullName} is not a message or enum declared in proto/`);
    }
    if (declaration.kind === 'enum') {
      schemas[fullName] = enumSchema(declaration);
      continue;
    }
    const properties: Record<string, JsonSchema> = {};
    const oneofs: Record<string, string[]> = {};
    for (const field of declaration.fields) {
      const json = jsonName(field.name);
      const resolve = (type: string): JsonSchema => {
        const scalar = SCALARS[type] ?? WELL_KNOWN[resolvedWellKnown(type)];
        if (scalar !== undefined) return scalar;
        const target = resolveType(type, declaration.fullName, declarations);
        pending.push(target);
        return { $ref: `#/components/schemas/${target}` };
      };
      let schema: JsonSchema =
        field.mapValue !== undefined
          ? { type: 'object', additionalProperties: resolve(field.mapValue) }
          : resolve(field.type);
      if (field.label === 'repeated') schema = { type: 'array', items: schema };
      properties[json] = withDescription(schema, field.comment);
      if (field.oneof !== undefined) (oneofs[field.oneof] ??= []).push(json);
    }
    schemas[fullName] = {
      title: fullName,
      type: 'object',
      ...(declaration.comment === '' ? {} : { description: declaration.comment }),
      properties,
      ...(Object.keys(oneofs).length === 0 ? {} : { 'x-protobuf-oneof': oneofs }),
      'x-protobuf-message': fullName,
      'x-protobuf-file': declaration.file,
    };
  }
  return schemas;
}

function enumSchema(declaration: Extract<Declaration, { kind: 'enum' }>): JsonSchema {
  return {
    title: declaration.fullName,
    type: 'string',
    ...(declaration.comment === '' ? {} : { description: declaration.comment }),
    // The zero value is the default, which proto3 JSON leaves out: it is never sent.
    enum: declaration.values.filter((value) => value.number !== 0).map((value) => value.name),
    'x-protobuf-enum': declaration.fullName,
  };
}

function withDescription(schema: JsonSchema, comment: string): JsonSchema {
  if (comment === '') return schema;
  // A $ref's siblings are ignored by JSON Schema draft 7: the description goes around it.
  return '$ref' in schema
    ? { allOf: [schema], description: comment }
    : { ...schema, description: comment };
}

/** protoc's json_name: underscores dropped, the letter after each one upper-cased. */
export function jsonName(field: string): string {
  return field.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

function resolvedWellKnown(type: string): string {
  return type.startsWith('.') ? type.slice(1) : type;
}

/** Protobuf scoping: the innermost enclosing scope that declares the name wins. */
function resolveType(
  type: string,
  scope: string,
  declarations: ReadonlyMap<string, Declaration>,
): string {
  if (type.startsWith('.')) return type.slice(1);
  const parts = scope.split('.');
  for (let length = parts.length; length >= 0; length -= 1) {
    const candidate = [...parts.slice(0, length), type].join('.');
    if (declarations.has(candidate)) return candidate;
  }
  throw new ValidationError(`type ${type} used in ${scope} is not declared in proto/`);
}

type Token = { readonly text: string; readonly comment: string };

/** Words, numbers, strings and punctuation, each with the `//` comment lines just before it. */
function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let comment: string[] = [];
  const pattern =
    /;[ \t]*\/\/[^\n]*|\/\/([^\n]*)|\/\*[\s\S]*?\*\/|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[A-Za-z0-9_.+-]+|[{}<>;=,()[\]]|([ \t]*\n[ \t]*\n\s*)|\s+/g;
  for (const match of source.matchAll(pattern)) {
    const [text, line, blank] = match;
    if (line !== undefined) comment.push(line.trim());
    else if (blank !== undefined) comment = [];
    else if (text.startsWith('/*') || /^\s+$/.test(text)) continue;
    // A comment after a statement on its line is about that statement, not the next one.
    else if (text.startsWith(';') && text.length > 1) tokens.push({ text: ';', comment: '' });
    else {
      tokens.push({ text, comment: comment.join(' ') });
      comment = [];
    }
  }
  return tokens;
}

/** The messages and enums of one .proto file (services and options are skipped). */
export function parseProto(source: string, file: string): Declaration[] {
  const tokens = tokenize(source);
  const declarations: Declaration[] = [];
  let at = 0;
  const next = (): Token => {
    const token = tokens[at];
    if (token === undefined) throw new ValidationError(`${file} ends unexpectedly`);
    at += 1;
    return token;
  };
  const expect = (text: string): void => {
    const token = next();
    if (token.text !== text) {
      throw new ValidationError(`${file}: expected ${text}, found ${token.text}`);
    }
  };
  const skipStatement = (): void => {
    let depth = 0;
    for (;;) {
      const { text } = next();
      if (text === '{') depth += 1;
      if (text === '}') {
        depth -= 1;
        if (depth === 0) return;
      }
      if (text === ';' && depth === 0) return;
    }
  };
  /** `[deprecated = true]` and the like after a field or value, then `;`. */
  const endOfField = (): void => {
    if (tokens[at]?.text === '[') {
      while (next().text !== ']');
    }
    expect(';');
  };

  const parseEnum = (scope: string, comment: string): void => {
    const fullName = `${scope}.${next().text}`;
    const values: { name: string; number: number }[] = [];
    expect('{');
    for (let token = next(); token.text !== '}'; token = next()) {
      if (token.text === 'option' || token.text === 'reserved') {
        at -= 1;
        skipStatement();
        continue;
      }
      expect('=');
      values.push({ name: token.text, number: Number(next().text) });
      endOfField();
    }
    declarations.push({ kind: 'enum', fullName, values, comment, file });
  };

  const parseMessage = (scope: string, comment: string): void => {
    const fullName = `${scope}.${next().text}`;
    const fields: Field[] = [];
    const parseField = (first: Token, oneof?: string): void => {
      let label: Field['label'] = 'singular';
      let type = first.text;
      if (type === 'repeated' || type === 'optional') {
        label = type;
        type = next().text;
      }
      let mapValue: string | undefined;
      if (type === 'map') {
        expect('<');
        type = next().text;
        expect(',');
        mapValue = next().text;
        expect('>');
      }
      const name = next().text;
      expect('=');
      next();
      endOfField();
      fields.push({
        name,
        type,
        label,
        ...(mapValue === undefined ? {} : { mapValue }),
        ...(oneof === undefined ? {} : { oneof }),
        comment: first.comment,
      });
    };
    expect('{');
    for (let token = next(); token.text !== '}'; token = next()) {
      if (token.text === 'message') parseMessage(fullName, token.comment);
      else if (token.text === 'enum') parseEnum(fullName, token.comment);
      else if (token.text === 'option' || token.text === 'reserved') {
        at -= 1;
        skipStatement();
      } else if (token.text === 'oneof') {
        const oneof = next().text;
        expect('{');
        for (let member = next(); member.text !== '}'; member = next()) parseField(member, oneof);
      } else parseField(token);
    }
    declarations.push({ kind: 'message', fullName, fields, comment, file });
  };

  let pkg = '';
  while (at < tokens.length) {
    const token = next();
    if (token.text === 'package') {
      pkg = next().text;
      expect(';');
    } else if (token.text === 'message') parseMessage(pkg, token.comment);
    else if (token.text === 'enum') parseEnum(pkg, token.comment);
    else if (['syntax', 'import', 'option', 'service'].includes(token.text)) {
      at -= 1;
      skipStatement();
    } else throw new ValidationError(`${file}: unexpected ${token.text}`);
  }
  return declarations;
}
