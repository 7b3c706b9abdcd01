/**
 * HTTP/2 SETTINGS values (RFC 9113 section 6.5): the defaults, and the checks on a
 * peer's SETTINGS frame.
 */
import { ErrorCode, SettingId, defaultInitialWindowSize, maxMaxFrameSize, maxWindowSize, minMaxFrameSize } from "./frame.js";

export interface H2Settings {
  headerTableSize: number;
  enablePush: boolean;
  /** Infinity when the peer set no limit. */
  maxConcurrentStreams: number;
  initialWindowSize: number;
  maxFrameSize: number;
  /** Infinity when the peer set no limit. */
  maxHeaderListSize: number;
}

/** What a peer's settings are before its SETTINGS frame arrives. */
export function defaultH2Settings(): H2Settings {
  return {
    headerTableSize: 4096,
    enablePush: true,
    maxConcurrentStreams: Infinity,
    initialWindowSize: defaultInitialWindowSize,
    maxFrameSize: minMaxFrameSize,
    maxHeaderListSize: Infinity,
  };
}

/** A setting the peer sent that the connection cannot accept. */
export class SettingsError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = "SettingsError";
  }
}

/**
 * Applies a SETTINGS payload (6-byte entries) to `into`, in order, ignoring unknown
 * identifiers. Throws a SettingsError with the connection error code for a value out
 * of range. Returns the change of INITIAL_WINDOW_SIZE, which open streams' send
 * windows take on.
 */
export function applySettings(into: H2Settings, payload: Uint8Array): number {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const before = into.initialWindowSize;
  for (let o = 0; o + 6 <= payload.byteLength; o += 6) {
    const id = view.getUint16(o);
    const value = view.getUint32(o + 2);
    switch (id) {
      case SettingId.HEADER_TABLE_SIZE:
        into.headerTableSize = value;
        break;
      case SettingId.ENABLE_PUSH:
        if (value > 1) throw new SettingsError(ErrorCode.PROTOCOL_ERROR, `SETTINGS_ENABLE_PUSH of ${value}`);
        into.enablePush = value === 1;
        break;
      case SettingId.MAX_CONCURRENT_STREAMS:
        into.maxConcurrentStreams = value;
        break;
      case SettingId.INITIAL_WINDOW_SIZE:
        if (value > maxWindowSize) throw new SettingsError(ErrorCode.FLOW_CONTROL_ERROR, `SETTINGS_INITIAL_WINDOW_SIZE of ${value}`);
        into.initialWindowSize = value;
        break;
      case SettingId.MAX_FRAME_SIZE:
        if (value < minMaxFrameSize || value > maxMaxFrameSize) {
          throw new SettingsError(ErrorCode.PROTOCOL_ERROR, `SETTINGS_MAX_FRAME_SIZE of ${value}`);
        }
        into.maxFrameSize = value;
        break;
      case SettingId.MAX_HEADER_LIST_SIZE:
        into.maxHeaderListSize = value;
        break;
      default:
        // Unknown settings are ignored (RFC 9113 section 6.5.2).
        break;
    }
  }
  return into.initialWindowSize - before;
}
