/**
 * The protobuf binary encoding, written by grpckit rather than by protobuf-es's
 * `toBinary`: the bytes are the same, but the message is sized first and written once
 * into one buffer of exactly that size. `toBinary` grows a zero-filled buffer by doubling
 * and copies the result again when it finishes, so a 64 KiB bytes field cost three
 * copies and 192 KiB of garbage. Large bytes fields can also be handed out by reference
 * ({@link encodeProtoPieces}), so a large message reaches the socket with no copy at all.
 *
 * The encoder is compiled once per message type, like protobuf-es's. The size pass
 * records the length of every nested message and non-ASCII string in visiting order;
 * the write pass visits the same values in the same order and reads them back.
 */
import { create, fromJson, protoInt64, ScalarType, type DescField, type DescMessage, type JsonValue, type MessageShape } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import { isWrapperDesc } from "@bufbuild/protobuf/wkt";

/** A message's encoding as consecutive pieces; large bytes fields are the message's own buffers. */
export class MessagePieces {
  constructor(
    readonly pieces: readonly Uint8Array[],
    readonly byteLength: number,
  ) {}

  /** The pieces joined into one buffer. */
  join(): Uint8Array {
    const out = Buffer.allocUnsafe(this.byteLength);
    let pos = 0;
    for (const piece of this.pieces) {
      out.set(piece, pos);
      pos += piece.byteLength;
    }
    return out;
  }
}

/** Bytes fields at least this large are sent by reference by {@link encodeProtoPieces}. */
export const referencedBytesFrom = 16 * 1024;

/** protobuf binary, the bytes protobuf-es's toBinary writes, in one buffer of exactly that size. */
export function encodeProto<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): Uint8Array {
  const encoded = encode(schema, message, Infinity);
  return encoded instanceof MessagePieces ? encoded.join() : encoded;
}

/**
 * The same bytes as {@link encodeProto}, with every bytes field of at least
 * `referenceFrom` bytes left where it is: a piece of its own, the message's own memory.
 * Returns one buffer when no field is that large. The message's bytes must not change
 * until the pieces are written, as grpc-go asks of a message passed to SendMsg.
 */
export function encodeProtoPieces<Desc extends DescMessage>(
  schema: Desc,
  message: MessageShape<Desc>,
  referenceFrom = referencedBytesFrom,
): Uint8Array | MessagePieces {
  return encode(schema, message, referenceFrom);
}

/** The size of the message's protobuf encoding, found without writing it; invalid values throw. */
export function encodedProtoSize<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): number {
  return messagePlan(schema).size(message, new Sizing(Infinity));
}

function encode(schema: DescMessage, message: object, referenceFrom: number): Uint8Array | MessagePieces {
  const plan = messagePlan(schema);
  const sizing = takeSizing(referenceFrom);
  const total = plan.size(message, sizing);
  const writer = new Writer(Buffer.allocUnsafe(total - sizing.referencedBytes), sizing, referenceFrom);
  plan.write(message, writer);
  const encoded = writer.finish(total);
  giveBack(sizing);
  return encoded;
}

/**
 * A message under `limit` bytes, written into one new buffer after `room` bytes left
 * for the caller (a frame header), so header and message need no second buffer and
 * copy; undefined, with nothing written, for a message of `limit` bytes or more.
 */
export function encodeProtoAfter<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, room: number, limit: number): Buffer | undefined {
  const plan = messagePlan(schema);
  const sizing = takeSizing(Infinity);
  const total = plan.size(message, sizing);
  if (total >= limit) {
    giveBack(sizing);
    return undefined;
  }
  const buf = Buffer.allocUnsafe(room + total);
  const writer = new Writer(buf, sizing, Infinity);
  writer.pos = room;
  plan.write(message, writer);
  giveBack(sizing);
  return buf;
}

/** What the size pass leaves for the write pass: lengths and converted values, in visiting order. */
class Sizing {
  readonly lengths: number[] = [];
  readonly values: object[] = [];
  referencedBytes = 0;
  constructor(public referenceFrom: number) {}
}

/**
 * One Sizing kept between encodes, so a small message costs no fresh arrays. Encoding
 * is synchronous; an encode that starts while another runs (a getter that encodes)
 * finds none kept and makes its own.
 */
let spareSizing: Sizing | undefined;

function takeSizing(referenceFrom: number): Sizing {
  const sizing = spareSizing;
  if (sizing === undefined) return new Sizing(referenceFrom);
  spareSizing = undefined;
  sizing.referenceFrom = referenceFrom;
  return sizing;
}

/** Keeps `sizing` for the next encode, emptied so it holds no message's values. */
function giveBack(sizing: Sizing): void {
  // A Sizing that grew large for one big message is let go rather than kept.
  if (sizing.lengths.length > 1024 || sizing.values.length > 1024) return;
  if (sizing.lengths.length !== 0) sizing.lengths.length = 0;
  if (sizing.values.length !== 0) sizing.values.length = 0;
  sizing.referencedBytes = 0;
  spareSizing = sizing;
}

/** Writes into a buffer of the exact size, cutting it into pieces around referenced bytes fields. */
class Writer {
  pos = 0;
  private lengthIndex = 0;
  private valueIndex = 0;
  private pieces: Uint8Array[] | undefined;
  private pieceStart = 0;

  constructor(
    readonly buf: Buffer,
    private readonly sizing: Sizing,
    private readonly referenceFrom: number,
  ) {}

  nextLength(): number {
    return this.sizing.lengths[this.lengthIndex++];
  }

  nextValue(): object {
    return this.sizing.values[this.valueIndex++];
  }

  varint32(value: number): void {
    const buf = this.buf;
    let pos = this.pos;
    while (value > 0x7f) {
      buf[pos++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    buf[pos++] = value;
    this.pos = pos;
  }

  /** A varint of a 64-bit value given as two's complement halves. */
  varint64(lo: number, hi: number): void {
    const buf = this.buf;
    let pos = this.pos;
    while (hi !== 0 || lo >>> 0 > 0x7f) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    buf[pos++] = lo;
    this.pos = pos;
  }

  bytes(value: Uint8Array): void {
    const length = value.byteLength;
    this.varint32(length);
    if (length >= this.referenceFrom) {
      (this.pieces ??= []).push(this.buf.subarray(this.pieceStart, this.pos), value);
      this.pieceStart = this.pos;
      return;
    }
    this.buf.set(value, this.pos);
    this.pos += length;
  }

  finish(total: number): Uint8Array | MessagePieces {
    if (this.pieces === undefined) return this.buf;
    if (this.pieceStart < this.pos) this.pieces.push(this.buf.subarray(this.pieceStart, this.pos));
    return new MessagePieces(this.pieces, total);
  }
}

/** The compiled encoder of one message type. */
interface MessagePlan {
  size(message: object, sizing: Sizing): number;
  write(message: object, writer: Writer): void;
}

/** The compiled encoder of one field: its bytes with tags, or 0 when it is not written. */
interface FieldPlan {
  size(message: Record<string, unknown>, sizing: Sizing): number;
  write(message: Record<string, unknown>, writer: Writer): void;
}

const IMPLICIT = 2;
const LEGACY_REQUIRED = 3;

const plans = new WeakMap<DescMessage, MessagePlan>();

function messagePlan(desc: DescMessage): MessagePlan {
  let plan = plans.get(desc);
  if (plan === undefined) plan = compileMessage(desc);
  return plan;
}

interface UnknownField {
  no: number;
  wireType: number;
  data: Uint8Array;
}

function compileMessage(desc: DescMessage): MessagePlan {
  const typeName = desc.typeName;
  const fields: FieldPlan[] = [];
  const sorted = [...desc.fields].sort((a, b) => a.number - b.number);
  // The field a message of another type is reported against, as protobuf-es does.
  const first = sorted[0];
  const plan: MessagePlan = {
    size(message, sizing) {
      const m = message as Record<string, unknown>;
      if (m.$typeName !== typeName && first !== undefined) {
        throw new Error(`cannot use ${String(first)} with message ${String(m.$typeName)}`);
      }
      let size = 0;
      for (let i = 0; i < fields.length; i++) size += fields[i].size(m, sizing);
      const unknown = m.$unknown as UnknownField[] | undefined;
      if (unknown !== undefined) {
        for (let i = 0; i < unknown.length; i++) size += tagSize(unknown[i].no) + unknown[i].data.byteLength;
      }
      return size;
    },
    write(message, writer) {
      const m = message as Record<string, unknown>;
      for (let i = 0; i < fields.length; i++) fields[i].write(m, writer);
      const unknown = m.$unknown as UnknownField[] | undefined;
      if (unknown !== undefined) {
        for (let i = 0; i < unknown.length; i++) {
          const { no, wireType, data } = unknown[i];
          writer.varint32(((no << 3) | wireType) >>> 0);
          writer.buf.set(data, writer.pos);
          writer.pos += data.byteLength;
        }
      }
    },
  };
  // Registered before the fields compile, so a message that contains itself finds this plan.
  plans.set(desc, plan);
  for (const field of sorted) fields.push(compileField(field));
  return plan;
}

function compileField(field: DescField): FieldPlan {
  switch (field.fieldKind) {
    case "scalar":
    case "enum":
    case "message":
      return compileSingular(field);
    case "list":
      return compileList(field);
    case "map":
      return compileMap(field);
  }
}

/** Sizes and writes one value of a field, tag included. */
interface ValuePlan {
  size(value: unknown, sizing: Sizing): number;
  write(value: unknown, writer: Writer): void;
}

function compileSingular(field: DescField & { fieldKind: "scalar" | "enum" | "message" }): FieldPlan {
  const value = field.fieldKind === "message" ? messageValue(field, field.message, field.delimitedEncoding, mapperOf(field, field.message)) : scalarValue(field);
  const name = field.localName;
  if (field.oneof !== undefined) {
    const oneofName = field.oneof.localName;
    return {
      size: (m, sizing) => {
        const oneof = m[oneofName] as { case: unknown; value: unknown };
        return oneof.case === name ? value.size(oneof.value, sizing) : 0;
      },
      write: (m, writer) => {
        const oneof = m[oneofName] as { case: unknown; value: unknown };
        if (oneof.case === name) value.write(oneof.value, writer);
      },
    };
  }
  if (field.presence !== IMPLICIT) {
    const required = field.presence === LEGACY_REQUIRED ? `cannot encode ${String(field)} to binary: required field not set` : undefined;
    const isSet = (m: Record<string, unknown>): boolean => {
      // Fields with explicit presence have default values on the prototype chain.
      if (m[name] !== undefined && Object.prototype.hasOwnProperty.call(m, name)) return true;
      if (required !== undefined) throw new Error(required);
      return false;
    };
    return {
      size: (m, sizing) => (isSet(m) ? value.size(m[name], sizing) : 0),
      write: (m, writer) => {
        if (m[name] !== undefined && Object.prototype.hasOwnProperty.call(m, name)) value.write(m[name], writer);
      },
    };
  }
  const isZero = zeroTest(field);
  return {
    size: (m, sizing) => (isZero(m[name]) ? 0 : value.size(m[name], sizing)),
    write: (m, writer) => {
      if (!isZero(m[name])) value.write(m[name], writer);
    },
  };
}

/** Whether an implicit-presence value is its type's zero value, which is not written. */
function zeroTest(field: DescField & { fieldKind: "scalar" | "enum" | "message" }): (value: unknown) => boolean {
  if (field.fieldKind === "enum") {
    const zero = field.enum.values[0].number;
    return (value) => value === zero;
  }
  if (field.fieldKind === "message") return (value) => value === undefined;
  switch (field.scalar) {
    case ScalarType.BOOL:
      return (value) => value === false;
    case ScalarType.STRING:
      return (value) => value === "";
    case ScalarType.BYTES:
      return (value) => value instanceof Uint8Array && value.byteLength === 0;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return (value) => Object.is(value, 0);
    default:
      // Loose equality matches 0, 0n and "0".
      return (value) => value == 0;
  }
}

/** A message field's local value as a message: wrappers are unboxed and Struct is plain JSON. */
type ToMessage = ((local: unknown) => object) | undefined;

function mapperOf(field: DescField, child: DescMessage): ToMessage {
  if (child.typeName === "google.protobuf.Struct" && field.parent.typeName !== "google.protobuf.Value") {
    return (local) => fromJson(child, local as JsonValue);
  }
  if (field.fieldKind === "message" && field.oneof === undefined && isWrapperDesc(child)) {
    const valueName = child.fields[0].localName;
    return (local) => ({ $typeName: child.typeName, [valueName]: local });
  }
  return undefined;
}

/** A nested message value: length-delimited, or between group tags for delimited encoding. */
function messageValue(field: DescField, child: DescMessage, delimited: boolean, toMessage: ToMessage): ValuePlan {
  const no = field.number;
  let childPlan: MessagePlan | undefined;
  const plan = (): MessagePlan => (childPlan ??= messagePlan(child));
  const local = (value: unknown, sizing: Sizing): object => {
    // A list or map may hold undefined where a message belongs: it is written as an empty message.
    if (toMessage === undefined) return value === undefined ? create(child) : (value as object);
    const converted = toMessage(value);
    sizing.values.push(converted);
    return converted;
  };
  const message = (value: unknown, writer: Writer): object =>
    toMessage !== undefined ? writer.nextValue() : value === undefined ? create(child) : (value as object);
  if (delimited) {
    const tags = 2 * tagSize(no);
    return {
      size: (value, sizing) => tags + plan().size(local(value, sizing), sizing),
      write: (value, writer) => {
        writer.varint32(((no << 3) | WireType.StartGroup) >>> 0);
        plan().write(message(value, writer), writer);
        writer.varint32(((no << 3) | WireType.EndGroup) >>> 0);
      },
    };
  }
  const tag = ((no << 3) | WireType.LengthDelimited) >>> 0;
  const tagBytes = varint32Size(tag);
  return {
    size: (value, sizing) => {
      const at = sizing.lengths.length;
      sizing.lengths.push(0);
      const length = plan().size(local(value, sizing), sizing);
      sizing.lengths[at] = length;
      return tagBytes + varint32Size(length) + length;
    },
    write: (value, writer) => {
      writer.varint32(tag);
      writer.varint32(writer.nextLength());
      plan().write(message(value, writer), writer);
    },
  };
}

/** A scalar or enum value with its tag. */
function scalarValue(field: DescField & { fieldKind: "scalar" | "enum" }): ValuePlan {
  const type = field.fieldKind === "enum" ? ScalarType.INT32 : field.scalar;
  const scalar = scalarPlan(type, field);
  const tag = ((field.number << 3) | wireTypeOf(type)) >>> 0;
  const tagBytes = varint32Size(tag);
  return {
    size: (value, sizing) => tagBytes + scalar.size(value, sizing),
    write: (value, writer) => {
      writer.varint32(tag);
      scalar.write(value, writer);
    },
  };
}

function compileList(field: DescField & { fieldKind: "list" }): FieldPlan {
  const name = field.localName;
  let item: ValuePlan;
  if (field.listKind === "message") {
    item = messageValue(field, field.message, field.delimitedEncoding, mapperOf(field, field.message));
  } else {
    const type = field.listKind === "enum" ? ScalarType.INT32 : field.scalar;
    const scalar = scalarPlan(type, field);
    if (field.packed) return packedList(field, scalar);
    const tag = ((field.number << 3) | wireTypeOf(type)) >>> 0;
    const tagBytes = varint32Size(tag);
    item = {
      size: (value, sizing) => tagBytes + scalar.size(value, sizing),
      write: (value, writer) => {
        writer.varint32(tag);
        scalar.write(value, writer);
      },
    };
  }
  return {
    size: (m, sizing) => {
      const items = m[name] as unknown[];
      let size = 0;
      for (let i = 0; i < items.length; i++) size += item.size(items[i], sizing);
      return size;
    },
    write: (m, writer) => {
      const items = m[name] as unknown[];
      for (let i = 0; i < items.length; i++) item.write(items[i], writer);
    },
  };
}

function packedList(field: DescField, scalar: ScalarPlan): FieldPlan {
  const name = field.localName;
  const tag = ((field.number << 3) | WireType.LengthDelimited) >>> 0;
  const tagBytes = varint32Size(tag);
  return {
    size: (m, sizing) => {
      const items = m[name] as unknown[];
      if (items.length === 0) return 0;
      const at = sizing.lengths.length;
      sizing.lengths.push(0);
      let length = 0;
      for (let i = 0; i < items.length; i++) length += scalar.size(items[i], sizing);
      sizing.lengths[at] = length;
      return tagBytes + varint32Size(length) + length;
    },
    write: (m, writer) => {
      const items = m[name] as unknown[];
      if (items.length === 0) return;
      writer.varint32(tag);
      writer.varint32(writer.nextLength());
      for (let i = 0; i < items.length; i++) scalar.write(items[i], writer);
    },
  };
}

function compileMap(field: DescField & { fieldKind: "map" }): FieldPlan {
  const name = field.localName;
  const tag = ((field.number << 3) | WireType.LengthDelimited) >>> 0;
  const tagBytes = varint32Size(tag);
  const keyScalar = scalarPlan(field.mapKey, field);
  const keyTag = (1 << 3) | wireTypeOf(field.mapKey);
  const toKey = mapKeyConverter(field.mapKey);
  // The key is field 1 of the entry and the value field 2, both always written.
  let value: ValuePlan;
  if (field.mapKind === "message") {
    value = messageValue({ number: 2 } as DescField, field.message, false, mapperOf(field, field.message));
  } else {
    const type = field.mapKind === "enum" ? ScalarType.INT32 : field.scalar;
    const scalar = scalarPlan(type, field);
    const valueTag = (2 << 3) | wireTypeOf(type);
    value = {
      size: (v, sizing) => 1 + scalar.size(v, sizing),
      write: (v, writer) => {
        writer.buf[writer.pos++] = valueTag;
        scalar.write(v, writer);
      },
    };
  }
  return {
    size: (m, sizing) => {
      const record = m[name] as Record<string, unknown>;
      let size = 0;
      for (const key of Object.keys(record)) {
        const at = sizing.lengths.length;
        sizing.lengths.push(0);
        const length = 1 + keyScalar.size(toKey(key), sizing) + value.size(record[key], sizing);
        sizing.lengths[at] = length;
        size += tagBytes + varint32Size(length) + length;
      }
      return size;
    },
    write: (m, writer) => {
      const record = m[name] as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        writer.varint32(tag);
        writer.varint32(writer.nextLength());
        writer.buf[writer.pos++] = keyTag;
        keyScalar.write(toKey(key), writer);
        value.write(record[key], writer);
      }
    },
  };
}

/** Map keys are object keys, always strings; converted to the key's type as protobuf-es does. */
function mapKeyConverter(type: ScalarType): (key: string) => unknown {
  switch (type) {
    case ScalarType.STRING:
      return (key) => key;
    case ScalarType.BOOL:
      return (key) => (key === "true" ? true : key === "false" ? false : key);
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return (key) => tryOr(() => protoInt64.uParse(key), key);
    case ScalarType.INT64:
    case ScalarType.SFIXED64:
    case ScalarType.SINT64:
      return (key) => tryOr(() => protoInt64.parse(key), key);
    default: {
      return (key) => {
        const n = Number.parseInt(key);
        return Number.isFinite(n) ? n : key;
      };
    }
  }
}

function tryOr<T>(f: () => T, fallback: unknown): unknown {
  try {
    return f();
  } catch {
    return fallback;
  }
}

/** Sizes and writes a bare scalar value, no tag; invalid values throw. */
interface ScalarPlan {
  size(value: unknown, sizing: Sizing): number;
  write(value: unknown, writer: Writer): void;
}

function scalarPlan(type: ScalarType, field: DescField): ScalarPlan {
  const plan = scalarPlanOf(type);
  const where = `cannot encode field ${field.parent.typeName}.${field.name} to binary`;
  return {
    size(value, sizing) {
      try {
        return plan.size(value, sizing);
      } catch (e) {
        throw e instanceof Error ? new Error(`${where}: ${e.message}`) : e;
      }
    },
    write: plan.write,
  };
}

function scalarPlanOf(type: ScalarType): ScalarPlan {
  switch (type) {
    case ScalarType.STRING:
      return stringPlan;
    case ScalarType.BYTES:
      return bytesPlan;
    case ScalarType.BOOL:
      return {
        size: () => 1,
        write: (value, writer) => {
          writer.buf[writer.pos++] = value ? 1 : 0;
        },
      };
    case ScalarType.DOUBLE:
      return {
        size: () => 8,
        write: (value, writer) => {
          writer.buf.writeDoubleLE(Number(value), writer.pos);
          writer.pos += 8;
        },
      };
    case ScalarType.FLOAT:
      return {
        size: (value) => (assertFloat32(value), 4),
        write: (value, writer) => {
          writer.buf.writeFloatLE(Number(value), writer.pos);
          writer.pos += 4;
        },
      };
    case ScalarType.INT32:
      return {
        size: (value) => {
          const n = int32(value);
          return n >= 0 ? varint32Size(n) : 10;
        },
        write: (value, writer) => {
          const n = Number(value);
          if (n >= 0) writer.varint32(n);
          else writer.varint64(n, -1);
        },
      };
    case ScalarType.UINT32:
      return {
        size: (value) => varint32Size(uint32(value)),
        write: (value, writer) => writer.varint32(Number(value)),
      };
    case ScalarType.SINT32:
      return {
        size: (value) => varint32Size(zigzag32(int32(value))),
        write: (value, writer) => writer.varint32(zigzag32(Number(value))),
      };
    case ScalarType.FIXED32:
      return {
        size: (value) => (uint32(value), 4),
        write: (value, writer) => {
          writer.buf.writeUInt32LE(Number(value), writer.pos);
          writer.pos += 4;
        },
      };
    case ScalarType.SFIXED32:
      return {
        size: (value) => (int32(value), 4),
        write: (value, writer) => {
          writer.buf.writeInt32LE(Number(value), writer.pos);
          writer.pos += 4;
        },
      };
    case ScalarType.INT64:
      return varint64Plan((value) => protoInt64.enc(value as string | number | bigint), false);
    case ScalarType.UINT64:
      return varint64Plan((value) => protoInt64.uEnc(value as string | number | bigint), false);
    case ScalarType.SINT64:
      return varint64Plan((value) => protoInt64.enc(value as string | number | bigint), true);
    case ScalarType.FIXED64:
      return fixed64Plan((value) => protoInt64.uEnc(value as string | number | bigint));
    case ScalarType.SFIXED64:
      return fixed64Plan((value) => protoInt64.enc(value as string | number | bigint));
  }
}

const bytesPlan: ScalarPlan = {
  size(value, sizing) {
    if (!(value instanceof Uint8Array)) throw new Error(`invalid bytes: ${typeof value}`);
    const length = value.byteLength;
    if (length >= sizing.referenceFrom) sizing.referencedBytes += length;
    return varint32Size(length) + length;
  },
  write: (value, writer) => writer.bytes(value as Uint8Array),
};

/**
 * Strings: the UTF-8 length is measured in the size pass and recorded unless the string
 * is short ASCII, which the write pass recognises as it copies it.
 */
const stringPlan: ScalarPlan = {
  size(value, sizing) {
    const s = typeof value === "string" ? value : String(value);
    const length = Buffer.byteLength(s, "utf8");
    // UTF-8 takes more bytes than UTF-16 code units for anything but ASCII.
    if (length !== s.length || length >= 0x80) sizing.lengths.push(length);
    return varint32Size(length) + length;
  },
  write(value, writer) {
    const s = typeof value === "string" ? value : String(value);
    const buf = writer.buf;
    const pos = writer.pos;
    const n = s.length;
    if (n < 0x80) {
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        buf[pos + 1 + i] = c;
      }
      if (i === n) {
        buf[pos] = n;
        writer.pos = pos + 1 + n;
        return;
      }
    }
    const length = writer.nextLength();
    writer.varint32(length);
    writer.pos += buf.write(s, writer.pos, length, "utf8");
  },
};

function varint64Plan(toHalves: (value: unknown) => { lo: number; hi: number }, zigzag: boolean): ScalarPlan {
  const halves = (value: unknown): { lo: number; hi: number } => {
    const h = toHalves(value);
    if (!zigzag) return h;
    const sign = h.hi >> 31;
    return { lo: (h.lo << 1) ^ sign, hi: ((h.hi << 1) | (h.lo >>> 31)) ^ sign };
  };
  return {
    size: (value) => {
      const { lo, hi } = halves(value);
      return varint64Size(lo, hi);
    },
    write: (value, writer) => {
      const { lo, hi } = halves(value);
      writer.varint64(lo >>> 0, hi >>> 0);
    },
  };
}

function fixed64Plan(toHalves: (value: unknown) => { lo: number; hi: number }): ScalarPlan {
  return {
    size: (value) => (toHalves(value), 8),
    write: (value, writer) => {
      const { lo, hi } = toHalves(value);
      writer.buf.writeInt32LE(lo | 0, writer.pos);
      writer.buf.writeInt32LE(hi | 0, writer.pos + 4);
      writer.pos += 8;
    },
  };
}

function int32(value: unknown): number {
  const n = typeof value === "string" ? Number(value) : value;
  if (typeof n !== "number") throw new Error(`invalid int32: ${typeof value}`);
  if (!Number.isInteger(n) || n > 0x7fffffff || n < -0x80000000) throw new Error(`invalid int32: ${n}`);
  return n;
}

function uint32(value: unknown): number {
  const n = typeof value === "string" ? Number(value) : value;
  if (typeof n !== "number") throw new Error(`invalid uint32: ${typeof value}`);
  if (!Number.isInteger(n) || n > 0xffffffff || n < 0) throw new Error(`invalid uint32: ${n}`);
  return n;
}

function assertFloat32(value: unknown): void {
  let n = value;
  if (typeof value === "string") {
    n = Number(value);
    if (Number.isNaN(n) && value !== "NaN") throw new Error(`invalid float32: ${value}`);
  } else if (typeof value !== "number") {
    throw new Error(`invalid float32: ${typeof value}`);
  }
  // Too large for a float32 means rounding to infinity; NaN and infinity themselves are valid.
  if (!Number.isFinite(Math.fround(n as number)) && Number.isFinite(n)) throw new Error(`invalid float32: ${String(value)}`);
}

function zigzag32(n: number): number {
  return ((n << 1) ^ (n >> 31)) >>> 0;
}

function wireTypeOf(type: ScalarType): number {
  switch (type) {
    case ScalarType.BYTES:
    case ScalarType.STRING:
      return WireType.LengthDelimited;
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return WireType.Bit64;
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
    case ScalarType.FLOAT:
      return WireType.Bit32;
    default:
      return WireType.Varint;
  }
}

function tagSize(fieldNo: number): number {
  return varint32Size((fieldNo << 3) >>> 0);
}

function varint32Size(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

function varint64Size(lo: number, hi: number): number {
  hi >>>= 0;
  lo >>>= 0;
  if (hi === 0) return varint32Size(lo);
  // Bits above 32: 32 + the high word's significant bits, 7 bits a byte.
  const bits = 64 - Math.clz32(hi);
  return Math.ceil(bits / 7);
}
