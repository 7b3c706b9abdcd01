import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  create,
  createRegistry,
  equals,
  fromBinary,
  ScalarType,
  toBinary,
  type DescEnum,
  type DescField,
  type DescMessage,
  type JsonObject,
  type JsonValue,
  type Message,
  type UnknownField,
} from "@bufbuild/protobuf";
import { reflect, type ReflectMessage } from "@bufbuild/protobuf/reflect";
import { isWrapperDesc } from "@bufbuild/protobuf/wkt";
import { encodeProto, encodedProtoSize, encodeProtoPieces, MessagePieces } from "../../src/wire/proto-encoder.js";
import { encodeEnvelope, encodeSmallProtoFrame } from "../../src/wire/envelope.js";
import {
  Color,
  file_grpckit_test_v1_encoding,
  LeafSchema,
  MapsSchema,
  NodeSchema,
  OneofsSchema,
  OptionalScalarsSchema,
  RepeatedScalarsSchema,
  ScalarsSchema,
  WellKnownSchema,
} from "../gen/grpckit/test/v1/encoding_pb.js";
import {
  file_grpckit_test_v1_encoding_proto2,
  Proto2DefaultsSchema,
  Proto2GroupsSchema,
  Proto2LeafSchema,
  Proto2RepeatedSchema,
  Proto2RequiredSchema,
  Shade,
  UnknownSourceSchema,
  type UnknownSource,
} from "../gen/grpckit/test/v1/encoding_proto2_pb.js";

/** Every top-level message of the two encoding test files. */
const schemas: readonly DescMessage[] = [...file_grpckit_test_v1_encoding.messages, ...file_grpckit_test_v1_encoding_proto2.messages];

/** How deep a generated message nests inside the top-level one. */
const maxDepth = 3;
const runs = 500;
const defaultThreshold = 16 * 1024;
/** google.protobuf.FeatureSet.FieldPresence.LEGACY_REQUIRED: a proto2 `required` field. */
const legacyRequired = 3;
/** Nothing is an extension: equals compares every unknown field. */
const noExtensions = createRegistry();

/**
 * What the generated values may hold. `faithful` values survive a decode unchanged (no
 * NaN, float32-exact floats, well-formed strings, known values of closed enums);
 * `unknown` attaches unknown fields decoded from another message's bytes.
 */
interface Mode {
  readonly faithful: boolean;
  readonly unknown: boolean;
}

const anyValue: Mode = { faithful: false, unknown: true };
const faithfulValue: Mode = { faithful: true, unknown: true };

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
const UINT32_MAX = 0xffffffff;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const FLOAT32_MAX = 3.4028234663852886e38;

const int32 = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: INT32_MIN, max: INT32_MAX }) },
  { weight: 2, arbitrary: fc.integer({ min: -200, max: 200 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, -1, 127, 128, 150, 16383, 16384, INT32_MIN, INT32_MAX) },
);
const uint32 = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: UINT32_MAX }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 300 }) },
  { weight: 1, arbitrary: fc.constantFrom(0, -0, 127, 128, 0x80000000, UINT32_MAX) },
);
const int64 = fc.oneof(
  { weight: 3, arbitrary: fc.bigInt({ min: INT64_MIN, max: INT64_MAX }) },
  { weight: 2, arbitrary: fc.bigInt({ min: -300n, max: 300n }) },
  { weight: 1, arbitrary: fc.constantFrom(0n, -1n, 2n ** 31n, -(2n ** 31n) - 1n, 2n ** 32n, 2n ** 53n + 1n, INT64_MIN, INT64_MAX) },
);
const uint64 = fc.oneof(
  { weight: 3, arbitrary: fc.bigInt({ min: 0n, max: UINT64_MAX }) },
  { weight: 2, arbitrary: fc.bigInt({ min: 0n, max: 300n }) },
  { weight: 1, arbitrary: fc.constantFrom(0n, 2n ** 32n, 2n ** 63n, UINT64_MAX) },
);

/** A 64-bit integer as protobuf-es accepts it: bigint, decimal string, or a safe-integer number. */
function int64Representations(value: fc.Arbitrary<bigint>, asString: boolean): fc.Arbitrary<bigint | string | number> {
  if (asString) return value.map(String);
  return fc.tuple(value, fc.integer({ min: 0, max: 8 })).map(([v, how]) => {
    if (how < 6) return v;
    if (how < 8) return String(v);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  });
}

/** NaNs with payload bits other than the canonical quiet NaN's. */
const nanPayloads = Array.from(new Float64Array(new BigUint64Array([0x7ff8000000000001n, 0xfff8000000000000n, 0x7ff0000000000001n, 0x7fffffffffffffffn]).buffer));

function double(mode: Mode): fc.Arbitrary<number> {
  const edges = [0, -0, Infinity, -Infinity, Number.MIN_VALUE, -Number.MAX_VALUE, Number.MAX_VALUE, 0.1, -1.5];
  return fc.oneof(
    { weight: 4, arbitrary: fc.double({ noNaN: mode.faithful }) },
    { weight: 1, arbitrary: fc.constantFrom(...(mode.faithful ? edges : [...edges, NaN, ...nanPayloads])) },
  );
}

function float(mode: Mode): fc.Arbitrary<number> {
  const exact = [0, -0, Infinity, -Infinity, FLOAT32_MAX, -FLOAT32_MAX, 1.401298464324817e-45, 1.1754943508222875e-38, 1.5];
  if (mode.faithful) {
    return fc.oneof(
      { weight: 4, arbitrary: fc.float({ noNaN: true }) },
      { weight: 1, arbitrary: fc.constantFrom(...exact) },
    );
  }
  // Doubles inside float32's range are accepted and rounded; 3.4028235e38 rounds down to the largest float32.
  return fc.oneof(
    { weight: 4, arbitrary: fc.float() },
    { weight: 2, arbitrary: fc.double({ min: -FLOAT32_MAX, max: FLOAT32_MAX, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(...exact, NaN, ...nanPayloads, 3.4028235e38, -3.4028235e38, 1e-46, 0.1) },
  );
}

const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const codePoint = fc.string({ unit: "binary", minLength: 1, maxLength: 1 });

function string(mode: Mode): fc.Arbitrary<string> {
  const wellFormed = fc.oneof(
    { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 100, maxLength: 300 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom("", "a".repeat(32), "a".repeat(33), "é".repeat(64), "\u{1F600}", "a".repeat(127), "a".repeat(128), "€".repeat(5462), "x".repeat(20000)),
    },
  );
  if (mode.faithful) return wellFormed;
  return fc.oneof(
    { weight: 4, arbitrary: wellFormed },
    { weight: 1, arbitrary: fc.string({ unit: fc.oneof(codePoint, loneSurrogate), maxLength: 40 }) },
    { weight: 1, arbitrary: fc.string({ unit: fc.oneof(codePoint, loneSurrogate), minLength: 40, maxLength: 100 }) },
  );
}

/** Fills `length` bytes from a xorshift sequence: large values without generating each byte. */
function filled(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x;
  }
  return out;
}

const byteContent = fc.oneof(
  { weight: 30, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  { weight: 3, arbitrary: fc.constant(new Uint8Array(0)) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 20_000, max: 70_000 }), fc.integer()).map(([n, seed]) => filled(n, seed)) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(16383, 16384, 16385), fc.integer()).map(([n, seed]) => filled(n, seed)) },
);

/** Bytes as users hold them: a plain array, a view into a larger buffer, or a Buffer from Node's pool. */
const bytes: fc.Arbitrary<Uint8Array> = fc.tuple(byteContent, fc.integer({ min: 0, max: 3 }), fc.nat(8), fc.nat(8)).map(([data, how, before, after]) => {
  if (how === 0) {
    const whole = new Uint8Array(before + data.byteLength + after);
    whole.set(data, before);
    return whole.subarray(before, before + data.byteLength);
  }
  if (how === 1) return Buffer.from(data);
  return data;
});

function scalar(type: ScalarType, longAsString: boolean, mode: Mode): fc.Arbitrary<unknown> {
  switch (type) {
    case ScalarType.DOUBLE:
      return double(mode);
    case ScalarType.FLOAT:
      return float(mode);
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return int32;
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return uint32;
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return int64Representations(int64, longAsString);
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return int64Representations(uint64, longAsString);
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.STRING:
      return string(mode);
    case ScalarType.BYTES:
      return bytes;
  }
}

function enumValue(desc: DescEnum, mode: Mode): fc.Arbitrary<number> {
  const known = fc.constantFrom(...desc.values.map((v) => v.number));
  // A closed enum's unknown values are written, but read back as unknown fields.
  if (mode.faithful && !desc.open) return known;
  return fc.oneof({ weight: 4, arbitrary: known }, { weight: 1, arbitrary: int32 });
}

/** A map key as protobuf-es stores it: always the object key string. */
function mapKey(type: ScalarType, mode: Mode): fc.Arbitrary<string> {
  switch (type) {
    case ScalarType.BOOL:
      return fc.constantFrom("true", "false");
    case ScalarType.STRING:
      return string(mode);
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return uint32.map(String);
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return int64.map(String);
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return uint64.map(String);
    default:
      return int32.map(String);
  }
}

function jsonValue(depth: number, mode: Mode): fc.Arbitrary<JsonValue> {
  const leaf = fc.oneof(fc.constant(null), fc.boolean(), double(mode), string(mode)) as fc.Arbitrary<JsonValue>;
  if (depth <= 0) return leaf;
  return fc.oneof(
    { weight: 4, arbitrary: leaf },
    { weight: 1, arbitrary: fc.array(jsonValue(depth - 1, mode), { maxLength: 3 }) },
    { weight: 1, arbitrary: jsonObject(depth - 1, mode) },
  );
}

/** A google.protobuf.Struct field's value: protobuf-es holds it as a JsonObject. */
function jsonObject(depth: number, mode: Mode): fc.Arbitrary<JsonObject> {
  return fc
    .array(fc.tuple(string(mode), jsonValue(depth, mode)), { maxLength: 4 })
    .map((entries) => Object.fromEntries(entries.filter(([k]) => k !== "__proto__")));
}

/** Unknown fields for `desc`: UnknownSource's fields (numbered above every test message's) decoded as `desc`. */
function unknownFields(desc: DescMessage, mode: Mode): fc.Arbitrary<UnknownField[] | undefined> {
  return message(UnknownSourceSchema, 1, { faithful: mode.faithful, unknown: false }).map(
    (source) => fromBinary(desc, toBinary(UnknownSourceSchema, source as UnknownSource)).$unknown,
  );
}

/** A field's value in a message, or in a oneof, list or map, as protobuf-es holds it locally. */
function messageValue(field: DescField, child: DescMessage, depth: number, mode: Mode): fc.Arbitrary<unknown> {
  if (child.typeName === "google.protobuf.Struct" && field.parent.typeName !== "google.protobuf.Value") return jsonObject(depth, mode);
  const wrapped = child.fields[0];
  if (field.fieldKind === "message" && field.oneof === undefined && isWrapperDesc(child) && wrapped.fieldKind === "scalar") {
    return scalar(wrapped.scalar, false, mode);
  }
  return message(child, Math.max(depth - 1, 0), mode);
}

function singular(field: DescField, depth: number, mode: Mode): fc.Arbitrary<unknown> {
  switch (field.fieldKind) {
    case "scalar":
      return scalar(field.scalar, field.longAsString, mode);
    case "enum":
      return enumValue(field.enum, mode);
    case "message":
      return messageValue(field, field.message, depth, mode);
    default:
      throw new Error(`${field.toString()} is not singular`);
  }
}

function listOf<T>(element: fc.Arbitrary<T>, long: boolean): fc.Arbitrary<T[]> {
  if (!long) return fc.array(element, { maxLength: 3 });
  return fc.oneof(
    { weight: 6, arbitrary: fc.array(element, { maxLength: 6 }) },
    { weight: 1, arbitrary: fc.array(element, { minLength: 17, maxLength: 40 }) },
  );
}

function fieldValue(field: DescField, depth: number, mode: Mode): fc.Arbitrary<unknown> | undefined {
  switch (field.fieldKind) {
    case "scalar":
    case "enum":
      return singular(field, depth, mode);
    case "message":
      return depth > 0 || field.presence === legacyRequired ? singular(field, depth, mode) : undefined;
    case "list":
      switch (field.listKind) {
        case "scalar":
          return listOf(scalar(field.scalar, field.longAsString, mode), true);
        case "enum":
          return listOf(enumValue(field.enum, mode), true);
        case "message":
          return depth > 0 ? listOf(messageValue(field, field.message, depth, mode), false) : undefined;
      }
      break;
    case "map": {
      let value: fc.Arbitrary<unknown> | undefined;
      switch (field.mapKind) {
        case "scalar":
          value = scalar(field.scalar, false, mode);
          break;
        case "enum":
          value = enumValue(field.enum, mode);
          break;
        case "message":
          value = depth > 0 ? messageValue(field, field.message, depth, mode) : undefined;
          break;
      }
      if (value === undefined) return undefined;
      return fc.array(fc.tuple(mapKey(field.mapKey, mode), value), { maxLength: 4 }).map((entries) => {
        const record: Record<string, unknown> = {};
        for (const [k, v] of entries) if (k !== "__proto__") record[k] = v;
        return record;
      });
    }
  }
}

type Entry = readonly [string, unknown] | undefined;

/** Includes the entry about half the time at the top level, less often deeper down. */
function sometimes(name: string, value: fc.Arbitrary<unknown>, depth: number): fc.Arbitrary<Entry> {
  return fc.oneof(
    { weight: depth >= maxDepth ? 1 : 2, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: value.map((v) => [name, v] as const) },
  );
}

const messages = new Map<string, fc.Arbitrary<Message>>();

/** Messages of `desc`, built by walking its descriptor; message fields nest at most `depth` levels. */
function message(desc: DescMessage, depth: number, mode: Mode): fc.Arbitrary<Message> {
  const key = `${desc.typeName}/${depth}/${mode.faithful}/${mode.unknown}`;
  const known = messages.get(key);
  if (known !== undefined) return known;
  const entries: fc.Arbitrary<Entry>[] = [];
  for (const member of desc.members) {
    if (member.kind === "oneof") {
      const cases = member.fields
        .filter((f) => f.fieldKind !== "message" || depth > 0)
        .map((f) => singular(f, depth, mode).map((value) => ({ case: f.localName, value })));
      entries.push(sometimes(member.localName, fc.oneof(...cases), depth));
      continue;
    }
    const value = fieldValue(member, depth, mode);
    if (value === undefined) continue;
    entries.push(member.presence === legacyRequired ? value.map((v) => [member.localName, v] as const) : sometimes(member.localName, value, depth));
  }
  const unknown: fc.Arbitrary<UnknownField[] | undefined> = mode.unknown
    ? fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: unknownFields(desc, mode) })
    : fc.constant(undefined);
  const arbitrary = fc.tuple(fc.tuple(...entries), unknown).map(([fields, unknownList]) => {
    const init: Record<string, unknown> = {};
    for (const entry of fields) if (entry !== undefined) init[entry[0]] = entry[1];
    const m: Message = create(desc, init as never);
    if (unknownList !== undefined) m.$unknown = unknownList;
    return m;
  });
  messages.set(key, arbitrary);
  return arbitrary;
}

/** Every bytes value set in the message, at any depth, including unwrapped BytesValue fields. */
function bytesValues(m: ReflectMessage, out: Uint8Array[] = []): Uint8Array[] {
  for (const field of m.fields) {
    if (!m.isSet(field)) continue;
    switch (field.fieldKind) {
      case "scalar":
        if (field.scalar === ScalarType.BYTES) out.push(m.get(field) as Uint8Array);
        break;
      case "message":
        bytesValues(m.get(field), out);
        break;
      case "list": {
        const list = m.get(field);
        for (const item of list.values()) {
          if (field.listKind === "message") bytesValues(item as ReflectMessage, out);
          else if (field.listKind === "scalar" && field.scalar === ScalarType.BYTES) out.push(item as Uint8Array);
        }
        break;
      }
      case "map": {
        const map = m.get(field);
        for (const item of map.values()) {
          if (field.mapKind === "message") bytesValues(item as ReflectMessage, out);
          else if (field.mapKind === "scalar" && field.scalar === ScalarType.BYTES) out.push(item as Uint8Array);
        }
        break;
      }
    }
  }
  return out;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Fails with the first differing offset rather than a diff of two (possibly 70 KiB) buffers. */
function expectSameBytes(got: Uint8Array, want: Uint8Array): void {
  if (got.byteLength === want.byteLength && Buffer.compare(got, want) === 0) return;
  let i = 0;
  while (i < got.byteLength && i < want.byteLength && got[i] === want[i]) i++;
  expect.fail(
    `wrote ${got.byteLength} bytes where toBinary writes ${want.byteLength}; first difference at offset ${i}: ` +
      `${hex(got.subarray(i, i + 24))} where toBinary has ${hex(want.subarray(i, i + 24))}`,
  );
}

function sharesMemory(piece: Uint8Array, value: Uint8Array): boolean {
  return piece.buffer === value.buffer && piece.byteOffset === value.byteOffset && piece.byteLength === value.byteLength;
}

for (const schema of schemas) {
  describe(`encoding ${schema.typeName}`, () => {
    const anyMessage = message(schema, maxDepth, anyValue);

    it("encodeProto writes the bytes toBinary writes", () => {
      fc.assert(
        fc.property(anyMessage, (m) => {
          const got = encodeProto(schema, m);
          expect(got).toBeInstanceOf(Uint8Array);
          expectSameBytes(got, toBinary(schema, m));
        }),
        { numRuns: runs },
      );
    });

    it("a message under 16 KiB is framed in one buffer as the 5-byte header and toBinary's bytes; a larger one is left to the pieces path", () => {
      fc.assert(
        fc.property(anyMessage, anyMessage, (m, other) => {
          // Two encodes in turn: what the first leaves behind must not reach the second's bytes.
          for (const each of [m, other]) {
            const want = toBinary(schema, each);
            const frame = encodeSmallProtoFrame(schema, each);
            if (want.byteLength >= 16 * 1024) {
              expect(frame).toBeUndefined();
              continue;
            }
            expect(frame).toBeDefined();
            expectSameBytes(frame!, encodeEnvelope(want, false));
          }
        }),
        { numRuns: runs },
      );
    });

    it("encodedProtoSize is the length of what toBinary writes", () => {
      fc.assert(
        fc.property(anyMessage, (m) => {
          expect(encodedProtoSize(schema, m)).toBe(toBinary(schema, m).byteLength);
        }),
        { numRuns: runs },
      );
    });

    it("with a threshold of 1, every non-empty bytes value is a piece sharing the message's memory, and the pieces join to toBinary's bytes", () => {
      fc.assert(
        fc.property(anyMessage, (m) => {
          const want = toBinary(schema, m);
          const values = bytesValues(reflect(schema, m)).filter((v) => v.byteLength >= 1);
          const got = encodeProtoPieces(schema, m, 1);
          if (values.length === 0) {
            expect(got).toBeInstanceOf(Uint8Array);
            expectSameBytes(got as Uint8Array, want);
            return;
          }
          expect(got).toBeInstanceOf(MessagePieces);
          const pieces = got as MessagePieces;
          expect(pieces.byteLength).toBe(pieces.pieces.reduce((sum, p) => sum + p.byteLength, 0));
          expectSameBytes(pieces.join(), want);
          for (const value of values) {
            expect(pieces.pieces.some((p) => sharesMemory(p, value)), `a ${value.byteLength}-byte value is not one of the pieces`).toBe(true);
          }
        }),
        { numRuns: runs },
      );
    });

    it("with the default threshold, the result is one buffer unless a bytes value reaches 16 KiB, and such values are pieces", () => {
      fc.assert(
        fc.property(anyMessage, (m) => {
          const want = toBinary(schema, m);
          const large = bytesValues(reflect(schema, m)).filter((v) => v.byteLength >= defaultThreshold);
          const got = encodeProtoPieces(schema, m);
          if (large.length === 0) {
            expect(got).toBeInstanceOf(Uint8Array);
            expectSameBytes(got as Uint8Array, want);
            return;
          }
          expect(got).toBeInstanceOf(MessagePieces);
          const pieces = got as MessagePieces;
          expectSameBytes(pieces.join(), want);
          for (const value of large) expect(pieces.pieces.some((p) => sharesMemory(p, value))).toBe(true);
        }),
        { numRuns: runs },
      );
    });

    it("a message read by fromBinary is written back as toBinary writes it, its bytes values referenced where they were read", () => {
      fc.assert(
        fc.property(anyMessage, (m) => {
          const decoded = fromBinary(schema, toBinary(schema, m));
          let want: Uint8Array;
          try {
            want = toBinary(schema, decoded);
          } catch {
            // A closed enum's unknown value in a required field is read back as an unknown field, leaving the field unset.
            expect(() => encodeProto(schema, decoded)).toThrow(Error);
            return;
          }
          expectSameBytes(encodeProto(schema, decoded), want);
          const got = encodeProtoPieces(schema, decoded, 1);
          const values = bytesValues(reflect(schema, decoded)).filter((v) => v.byteLength >= 1);
          if (values.length === 0) {
            expect(got).toBeInstanceOf(Uint8Array);
            return;
          }
          expect(got).toBeInstanceOf(MessagePieces);
          expectSameBytes((got as MessagePieces).join(), want);
          for (const value of values) expect((got as MessagePieces).pieces.some((p) => sharesMemory(p, value))).toBe(true);
        }),
        { numRuns: runs },
      );
    });

    it("fromBinary reads back a message equal to the one encoded, unknown fields included", () => {
      fc.assert(
        fc.property(message(schema, maxDepth, faithfulValue), (m) => {
          const decoded = fromBinary(schema, encodeProto(schema, m));
          expect(equals(schema, decoded, m, { registry: noExtensions, unknown: true })).toBe(true);
        }),
        { numRuns: runs },
      );
    });
  });
}

describe("encodeProto, checked by hand", () => {
  const examples: { name: string; schema: DescMessage; message: () => Message; hex: string }[] = [
    { name: "proto2 int32 id = 1 set to 150", schema: Proto2LeafSchema, message: () => create(Proto2LeafSchema, { id: 150 }), hex: "089601" },
    { name: "proto3 int32 id = 2 set to 150", schema: LeafSchema, message: () => create(LeafSchema, { id: 150 }), hex: "109601" },
    { name: "field 16 takes a two-byte tag", schema: ScalarsSchema, message: () => create(ScalarsSchema, { int32Value: 150 }), hex: "80019601" },
    { name: "a negative int32 is a ten-byte varint", schema: ScalarsSchema, message: () => create(ScalarsSchema, { int32Value: -1 }), hex: "8001ffffffffffffffffff01" },
    { name: "a negative open-enum value is a ten-byte varint", schema: ScalarsSchema, message: () => create(ScalarsSchema, { color: Color.INFRARED }), hex: "58ffffffffffffffffff01" },
    { name: "field 536870911 takes a five-byte tag", schema: ScalarsSchema, message: () => create(ScalarsSchema, { stringValue: "hi" }), hex: "faffffff0f026869" },
    { name: "sint64 -2 zigzags to 3", schema: ScalarsSchema, message: () => create(ScalarsSchema, { sint64Value: -2n }), hex: "80e20903" },
    { name: "-0 in an implicit-presence double is written", schema: ScalarsSchema, message: () => create(ScalarsSchema, { doubleValue: -0 }), hex: "790000000000000080" },
    { name: "float 1.5 is four little-endian bytes", schema: ScalarsSchema, message: () => create(ScalarsSchema, { floatValue: 1.5 }), hex: "1d0000c03f" },
    { name: "bytes are length-prefixed", schema: ScalarsSchema, message: () => create(ScalarsSchema, { bytesValue: Uint8Array.of(0xde, 0xad) }), hex: "2a02dead" },
    { name: "bool at field 128", schema: ScalarsSchema, message: () => create(ScalarsSchema, { boolValue: true }), hex: "800801" },
    {
      name: "fields are written in field-number order, not declaration order",
      schema: ScalarsSchema,
      message: () => create(ScalarsSchema, { stringValue: "a", int32Value: 1, uint64Value: 1n }),
      hex: "0801800101faffffff0f0161",
    },
    { name: "zero values of implicit-presence fields are not written", schema: ScalarsSchema, message: () => create(ScalarsSchema, { int32Value: 0, stringValue: "", int64Value: 0n }), hex: "" },
    { name: "an explicit-presence zero is written", schema: OptionalScalarsSchema, message: () => create(OptionalScalarsSchema, { int32Value: 0 }), hex: "3800" },
    { name: "a packed int32 list", schema: RepeatedScalarsSchema, message: () => create(RepeatedScalarsSchema, { int32Values: [1, 150] }), hex: "2a03019601" },
    { name: "an unpacked proto3 int32 list", schema: RepeatedScalarsSchema, message: () => create(RepeatedScalarsSchema, { unpackedInt32Values: [1, 2] }), hex: "880101880102" },
    { name: "a proto2 int32 list is unpacked by default", schema: Proto2RepeatedSchema, message: () => create(Proto2RepeatedSchema, { int32Values: [1, 2] }), hex: "28012802" },
    { name: "a proto2 [packed=true] int32 list", schema: Proto2RepeatedSchema, message: () => create(Proto2RepeatedSchema, { packedInt32Values: [1, 2] }), hex: "ca01020102" },
    { name: "a group is delimited by start and end tags", schema: Proto2GroupsSchema, message: () => create(Proto2GroupsSchema, { header: { id: 1 } }), hex: "0b08010c" },
    { name: "an empty string in a oneof is written", schema: OneofsSchema, message: () => create(OneofsSchema, { choice: { case: "stringChoice", value: "" } }), hex: "0a00" },
    { name: "a map entry is a key-value message", schema: MapsSchema, message: () => create(MapsSchema, { int32String: { 1: "a" } }), hex: "0a050801120161" },
    { name: "a nested message is length-prefixed", schema: NodeSchema, message: () => create(NodeSchema, { child: { name: "a" } }), hex: "0a03120161" },
    { name: "an unwrapped Int64Value of 0 is an empty wrapper message", schema: WellKnownSchema, message: () => create(WellKnownSchema, { int64Wrapper: 0n }), hex: "3a00" },
    {
      name: "an explicit-presence field holding undefined is not written",
      schema: OptionalScalarsSchema,
      message: () => Object.assign(create(OptionalScalarsSchema), { int32Value: undefined, bytesValue: undefined }),
      hex: "",
    },
    { name: "an unset proto2 field with a default is not written", schema: Proto2DefaultsSchema, message: () => create(Proto2DefaultsSchema), hex: "" },
    { name: "a proto2 field set to its default is written", schema: Proto2DefaultsSchema, message: () => create(Proto2DefaultsSchema, { int32Value: 150 }), hex: "089601" },
  ];

  it.each(examples)("$name: $hex", ({ schema, message: make, hex: want }) => {
    const m = make();
    expect(hex(toBinary(schema, m))).toBe(want);
    expect(hex(encodeProto(schema, m))).toBe(want);
  });

  it.each([" 12", "0x1f", "+5", "-0", "007", ""])("the int64 string %j, which toBinary reads with BigInt, is written as toBinary writes it", (text) => {
    for (const m of [create(ScalarsSchema, { int64String: text }), create(ScalarsSchema, { int64Value: text as unknown as bigint })]) {
      expect(hex(encodeProto(ScalarsSchema, m))).toBe(hex(toBinary(ScalarsSchema, m)));
    }
  });

  it("a string field holding a number is written as its decimal text, as toBinary writes it", () => {
    const m = create(ScalarsSchema, { stringValue: 42 as unknown as string });
    expect(hex(toBinary(ScalarsSchema, m))).toBe("faffffff0f023432");
    expect(hex(encodeProto(ScalarsSchema, m))).toBe("faffffff0f023432");
  });
});

describe("encodeProtoPieces, checked by hand", () => {
  it("a bytes field one byte short of 16 KiB is copied into one buffer by default", () => {
    const m = create(ScalarsSchema, { bytesValue: filled(16383, 7) });
    const got = encodeProtoPieces(ScalarsSchema, m);
    expect(got).toBeInstanceOf(Uint8Array);
    expectSameBytes(got as Uint8Array, toBinary(ScalarsSchema, m));
  });

  it("a 16 KiB bytes field is handed out by reference by default", () => {
    const value = filled(16384, 7);
    const m = create(ScalarsSchema, { bytesValue: value, int32Value: 1 });
    const got = encodeProtoPieces(ScalarsSchema, m);
    expect(got).toBeInstanceOf(MessagePieces);
    const pieces = got as MessagePieces;
    expect(pieces.pieces.some((p) => sharesMemory(p, value))).toBe(true);
    expect(pieces.byteLength).toBe(toBinary(ScalarsSchema, m).byteLength);
    expectSameBytes(pieces.join(), toBinary(ScalarsSchema, m));
  });

  it("unwrapped BytesValue, oneof BytesValue and Any values are handed out by reference", () => {
    const wrapped = filled(20_000, 1);
    const packed = filled(30_000, 2);
    const inOneof = filled(16_384, 3);
    const m = create(WellKnownSchema, {
      bytesWrapper: wrapped,
      any: { typeUrl: "type.googleapis.com/grpckit.test.v1.Leaf", value: packed },
      wkt: { case: "oneofBytes", value: { value: inOneof } },
    });
    const got = encodeProtoPieces(WellKnownSchema, m);
    expect(got).toBeInstanceOf(MessagePieces);
    for (const value of [wrapped, packed, inOneof]) expect((got as MessagePieces).pieces.some((p) => sharesMemory(p, value))).toBe(true);
    expectSameBytes((got as MessagePieces).join(), toBinary(WellKnownSchema, m));
  });

  it("a message object used in several places is written at each, its bytes referenced at each", () => {
    const leaf = create(LeafSchema, { id: 7, data: filled(20_000, 5) });
    const node = create(NodeSchema, { leaf, leaves: [leaf, leaf], byName: { a: { leaf } } });
    const m = create(NodeSchema, { child: node, children: [node, node] });
    const got = encodeProtoPieces(NodeSchema, m);
    expect(got).toBeInstanceOf(MessagePieces);
    const pieces = (got as MessagePieces).pieces.filter((p) => sharesMemory(p, leaf.data));
    expect(pieces).toHaveLength(12);
    expectSameBytes((got as MessagePieces).join(), toBinary(NodeSchema, m));
    expectSameBytes(encodeProto(NodeSchema, m), toBinary(NodeSchema, m));
  });

  it("a 64 KiB bytes value in a map value three messages deep is handed out by reference", () => {
    const whole = filled(70_000, 3);
    const value = whole.subarray(1000, 1000 + 65_536);
    const m = create(NodeSchema, { child: { byName: { k: { leaf: { data: value } } } } });
    const got = encodeProtoPieces(NodeSchema, m);
    expect(got).toBeInstanceOf(MessagePieces);
    expect((got as MessagePieces).pieces.some((p) => sharesMemory(p, value))).toBe(true);
    expectSameBytes((got as MessagePieces).join(), toBinary(NodeSchema, m));
  });
});

describe("invalid values", () => {
  const cases: { name: string; schema: DescMessage; message: () => Message }[] = [
    { name: "an int32 field holding 1.5", schema: ScalarsSchema, message: () => create(ScalarsSchema, { int32Value: 1.5 }) },
    { name: "an int32 field holding 2^31", schema: OptionalScalarsSchema, message: () => create(OptionalScalarsSchema, { int32Value: 2 ** 31 }) },
    { name: "a sint32 field holding NaN", schema: ScalarsSchema, message: () => create(ScalarsSchema, { sint32Value: NaN }) },
    { name: "a uint32 field holding -1", schema: ScalarsSchema, message: () => create(ScalarsSchema, { uint32Value: -1 }) },
    { name: "a fixed32 field holding 2^32", schema: ScalarsSchema, message: () => create(ScalarsSchema, { fixed32Value: 2 ** 32 }) },
    { name: "a packed int32 list holding 1.5", schema: RepeatedScalarsSchema, message: () => create(RepeatedScalarsSchema, { int32Values: [1, 1.5] }) },
    { name: "an enum field holding 1.5", schema: ScalarsSchema, message: () => create(ScalarsSchema, { color: 1.5 as Color }) },
    { name: "a float above float32's range", schema: ScalarsSchema, message: () => create(ScalarsSchema, { floatValue: 3.5e38 }) },
    { name: "a float list holding -1e39", schema: RepeatedScalarsSchema, message: () => create(RepeatedScalarsSchema, { floatValues: [0, -1e39] }) },
    { name: "a float map value of 1e39", schema: MapsSchema, message: () => create(MapsSchema, { fixed32Float: { 1: 1e39 } }) },
    { name: "a float oneof member of 1e300", schema: OneofsSchema, message: () => create(OneofsSchema, { other: { case: "floatChoice", value: 1e300 } }) },
    { name: "a FloatValue wrapper of 1e39", schema: WellKnownSchema, message: () => create(WellKnownSchema, { floatWrapper: 1e39 }) },
    { name: "an int64 string that is not an integer", schema: ScalarsSchema, message: () => create(ScalarsSchema, { int64String: "1.5" }) },
    { name: "an int64 string list holding text", schema: RepeatedScalarsSchema, message: () => create(RepeatedScalarsSchema, { int64Strings: ["1", "x"] }) },
    { name: "a bigint int64 field holding the string 12abc", schema: ScalarsSchema, message: () => create(ScalarsSchema, { int64Value: "12abc" as unknown as bigint }) },
    { name: "an int64 field holding 2^63", schema: ScalarsSchema, message: () => create(ScalarsSchema, { int64Value: 2n ** 63n }) },
    { name: "a uint64 field holding -1", schema: ScalarsSchema, message: () => create(ScalarsSchema, { uint64Value: -1n }) },
    { name: "a fixed64 field holding 2^64", schema: ScalarsSchema, message: () => create(ScalarsSchema, { fixed64Value: 2n ** 64n }) },
    { name: "a message field holding a message of another type", schema: NodeSchema, message: () => Object.assign(create(NodeSchema), { leaf: create(NodeSchema, { name: "n" }) }) },
    { name: "an int32 map key that is not a number", schema: MapsSchema, message: () => create(MapsSchema, { int32String: { abc: "x" } as Record<number, string> }) },
    { name: "a uint32 map key of -1", schema: MapsSchema, message: () => create(MapsSchema, { uint32Uint32: { "-1": 1 } }) },
    {
      name: "a proto2 required field unset",
      schema: Proto2RequiredSchema,
      message: () => create(Proto2RequiredSchema, { id: 1n, blob: new Uint8Array(1), shade: Shade.LIGHT, leaf: { id: 1 } }),
    },
    {
      name: "a required field unset in a nested message",
      schema: Proto2RequiredSchema,
      message: () => create(Proto2RequiredSchema, { name: "n", id: 1n, blob: new Uint8Array(1), shade: Shade.LIGHT, leaf: create(Proto2LeafSchema) }),
    },
    { name: "a required field unset in a map value", schema: Proto2GroupsSchema, message: () => create(Proto2GroupsSchema, { leaves: { 1: create(Proto2LeafSchema) } }) },
  ];

  it.each(cases)("$name throws, in toBinary and in encodeProto", ({ schema, message: make }) => {
    const m = make();
    expect(() => toBinary(schema, m)).toThrow(Error);
    expect(() => encodeProto(schema, m)).toThrow(Error);
    expect(() => encodeProtoPieces(schema, m, 1)).toThrow(Error);
  });
});
