/**
 * What reflection can answer about: every file reachable from a set of root files
 * (their transitive imports included), indexed by file name, by the fully-qualified
 * name of every symbol they declare, and by extension (extended message and number).
 */
import { toBinary, type DescFile } from "@bufbuild/protobuf";
import {
  FileDescriptorProtoSchema,
  type DescriptorProto,
  type EnumDescriptorProto,
  type FieldDescriptorProto,
} from "@bufbuild/protobuf/wkt";

export class DescriptorIndex {
  private readonly files = new Map<string, DescFile>();
  private readonly symbols = new Map<string, DescFile>();
  private readonly messageTypes = new Set<string>();
  /** Extended message name -> extension number -> declaring file. */
  private readonly extensions = new Map<string, Map<number, DescFile>>();
  private readonly encoded = new Map<DescFile, Uint8Array>();

  /** Indexes `roots` and, transitively, the files they import. The first file of a name wins. */
  constructor(roots: Iterable<DescFile>) {
    for (const file of roots) this.addFile(file);
  }

  /** The file named `name` ("google/protobuf/timestamp.proto"). */
  fileByName(name: string): DescFile | undefined {
    return this.files.get(name);
  }

  /**
   * The file declaring `name`: a message, field, oneof, enum, enum value, extension,
   * service or method, fully qualified without a leading dot ("pkg.Service.Method").
   */
  fileContainingSymbol(name: string): DescFile | undefined {
    return this.symbols.get(name);
  }

  /** The file declaring extension `number` of message `extendee`. */
  fileContainingExtension(extendee: string, number: number): DescFile | undefined {
    return this.extensions.get(extendee)?.get(number);
  }

  /** The known extension numbers of message `typeName`, ascending; undefined when the message is unknown. */
  extensionNumbers(typeName: string): number[] | undefined {
    if (!this.messageTypes.has(typeName)) return undefined;
    const byNumber = this.extensions.get(typeName);
    return byNumber === undefined ? [] : [...byNumber.keys()].sort((a, b) => a - b);
  }

  /** `file` as serialized FileDescriptorProto bytes, encoded once per index. */
  encode(file: DescFile): Uint8Array {
    let bytes = this.encoded.get(file);
    if (bytes === undefined) {
      bytes = toBinary(FileDescriptorProtoSchema, file.proto);
      this.encoded.set(file, bytes);
    }
    return bytes;
  }

  private addFile(file: DescFile): void {
    const name = file.proto.name;
    if (this.files.has(name)) return;
    this.files.set(name, file);
    const proto = file.proto;
    const scope = proto.package === "" ? "" : `${proto.package}.`;
    for (const m of proto.messageType) this.addMessage(file, scope, m);
    for (const e of proto.enumType) this.addEnum(file, scope, e);
    for (const x of proto.extension) this.addExtension(file, scope, x);
    for (const s of proto.service) {
      const serviceName = scope + s.name;
      this.addSymbol(file, serviceName);
      for (const m of s.method) this.addSymbol(file, `${serviceName}.${m.name}`);
    }
    for (const dep of file.dependencies) this.addFile(dep);
  }

  private addSymbol(file: DescFile, name: string): void {
    if (!this.symbols.has(name)) this.symbols.set(name, file);
  }

  private addMessage(file: DescFile, scope: string, message: DescriptorProto): void {
    const name = scope + message.name;
    this.addSymbol(file, name);
    this.messageTypes.add(name);
    const inner = `${name}.`;
    for (const f of message.field) this.addSymbol(file, inner + f.name);
    for (const o of message.oneofDecl) this.addSymbol(file, inner + o.name);
    for (const m of message.nestedType) this.addMessage(file, inner, m);
    for (const e of message.enumType) this.addEnum(file, inner, e);
    for (const x of message.extension) this.addExtension(file, inner, x);
  }

  /** Enum values are scoped beside their enum, as protobuf scopes them. */
  private addEnum(file: DescFile, scope: string, e: EnumDescriptorProto): void {
    this.addSymbol(file, scope + e.name);
    for (const v of e.value) this.addSymbol(file, scope + v.name);
  }

  private addExtension(file: DescFile, scope: string, extension: FieldDescriptorProto): void {
    this.addSymbol(file, scope + extension.name);
    const extendee = extension.extendee.startsWith(".") ? extension.extendee.slice(1) : extension.extendee;
    let byNumber = this.extensions.get(extendee);
    if (byNumber === undefined) {
      byNumber = new Map();
      this.extensions.set(extendee, byNumber);
    }
    if (!byNumber.has(extension.number)) byNumber.set(extension.number, file);
  }
}
