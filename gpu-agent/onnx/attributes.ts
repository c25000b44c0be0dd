import type { AttributeValue, Initializer } from './ir.ts';

/** Constructors of tagged attribute values: `attr.int(1)`, `attr.floats([1, 2])`. */
export const attr = {
  int: (value: number): AttributeValue => ({ type: 'int', value }),
  float: (value: number): AttributeValue => ({ type: 'float', value }),
  string: (value: string): AttributeValue => ({ type: 'string', value }),
  ints: (value: readonly number[]): AttributeValue => ({ type: 'ints', value: [...value] }),
  floats: (value: readonly number[]): AttributeValue => ({ type: 'floats', value: [...value] }),
  tensor: (value: Initializer): AttributeValue => ({ type: 'tensor', value }),
} as const;

type Attributes = Readonly<Record<string, AttributeValue>>;

interface ValueByType {
  int: number;
  float: number;
  string: string;
  ints: readonly number[];
  floats: readonly number[];
  tensor: Initializer;
}
type ValueOf<T extends AttributeValue['type']> = ValueByType[T];

function read<T extends AttributeValue['type']>(attributes: Attributes, name: string, type: T): ValueOf<T> | undefined {
  const value = attributes[name];
  if (value === undefined) return undefined;
  if (value.type !== type) throw new Error(`attribute "${name}" must be ${type}, got ${value.type}`);
  return value.value as unknown as ValueOf<T>;
}

/** Reads an int attribute, or `fallback` when absent. */
export function intAttr(attributes: Attributes, name: string, fallback: number): number {
  return read(attributes, name, 'int') ?? fallback;
}

/** Reads a float attribute, or `fallback` when absent. */
export function floatAttr(attributes: Attributes, name: string, fallback: number): number {
  return read(attributes, name, 'float') ?? fallback;
}

/** Reads a string attribute, or `fallback` when absent. */
export function stringAttr(attributes: Attributes, name: string, fallback: string): string {
  return read(attributes, name, 'string') ?? fallback;
}

/** Reads an ints attribute, or `undefined` when absent. */
export function intsAttr(attributes: Attributes, name: string): readonly number[] | undefined {
  return read(attributes, name, 'ints');
}
