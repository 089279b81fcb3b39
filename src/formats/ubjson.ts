/**
 * A UBJSON (Universal Binary JSON, draft 12) decoder, as XGBoost writes it for `.ubj` models.
 *
 * Numbers are big-endian. Optimized containers (`[$t#n`) of numeric types decode to typed arrays
 * (int64 ones to BigInt64Array, so nothing is silently rounded); other containers to plain arrays
 * and objects. Object keys are length-prefixed strings without the `S` marker.
 *
 * The input is untrusted: every length and count is checked against the bytes that remain before
 * anything is allocated (a forged `#L 2^62` fails at once instead of allocating), and containers
 * are handled with an explicit stack, so a deeply nested file cannot overflow the call stack.
 */

export type UbjTypedArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigInt64Array;

export type UbjValue =
  | null
  | boolean
  | number
  /** int64 values outside the safe-integer range. */
  | bigint
  | string
  | UbjTypedArray
  | UbjValue[]
  | { [key: string]: UbjValue };

/** Thrown for bytes that are not UBJSON; `offset` is the byte where decoding stopped. */
export class UbjsonError extends Error {
  override readonly name = 'UbjsonError';
  constructor(
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`byte ${offset}: ${reason}`);
  }
}

/** Payload size in bytes of each fixed-size type marker. */
const FIXED_SIZE: Readonly<Record<string, number>> = {
  Z: 0, T: 0, F: 0, i: 1, U: 1, C: 1, I: 2, l: 4, L: 8, d: 4, D: 8,
};

type UbjObject = { [key: string]: UbjValue };

interface Frame {
  array: UbjValue[] | null;
  object: UbjObject | null;
  /** Elements still to read for a counted container; -1 when it ends with a closing marker. */
  remaining: number;
  /** Key of this container in its parent object ('' in arrays and at the root). */
  keyInParent: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function setKey(obj: UbjObject, key: string, value: UbjValue): void {
  // A plain assignment to "__proto__" would replace the prototype instead of adding a key.
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

/** Decodes one UBJSON document (optionally followed by no-op `N` bytes). */
export function decodeUbjson(bytes: Uint8Array): UbjValue {
  return new Decoder(bytes).decode();
}

class Decoder {
  private pos = 0;
  private readonly view: DataView;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  decode(): UbjValue {
    const stack: Frame[] = [];
    for (;;) {
      let value: UbjValue;
      // Key under which `value` goes into the innermost container when that is an object.
      let key = '';
      const top = stack.length > 0 ? stack[stack.length - 1] : undefined;
      if (top !== undefined && this.atEnd(top)) {
        stack.pop();
        value = top.array ?? top.object!;
        key = top.keyInParent;
      } else {
        if (top !== undefined) {
          if (top.remaining > 0) top.remaining--;
          if (top.object) key = this.readKey();
        }
        const marker = this.readMarker();
        if (marker === '[' || marker === '{') {
          const frame = this.openContainer(marker, key);
          if (frame !== null) {
            stack.push(frame);
            continue;
          }
          value = this.lastTyped;
        } else {
          value = this.readScalar(marker);
        }
      }
      const parent = stack.length > 0 ? stack[stack.length - 1] : undefined;
      if (parent === undefined) {
        while (this.pos < this.bytes.length && this.bytes[this.pos] === 0x4e) this.pos++;
        if (this.pos !== this.bytes.length) this.fail('unexpected bytes after the end of the document');
        return value;
      }
      if (parent.array) parent.array.push(value);
      else setKey(parent.object!, key, value);
    }
  }

  /** Set by openContainer for optimized containers, which are decoded in one go. */
  private lastTyped: UbjValue = null;

  /** True (and the closing marker consumed) when container `f` has no more elements. */
  private atEnd(f: Frame): boolean {
    if (f.remaining === 0) return true;
    if (f.remaining > 0) return false;
    const m = this.peekMarkerSkippingNoop();
    if (m === (f.array ? 0x5d : 0x7d)) {
      this.pos++;
      return true;
    }
    return false;
  }

  private fail(reason: string, at = this.pos): never {
    throw new UbjsonError(at, reason);
  }

  private need(n: number, what: string): void {
    if (n > this.bytes.length - this.pos) {
      this.fail(`${what} needs ${n} bytes, only ${this.bytes.length - this.pos} remain`);
    }
  }

  private peekMarkerSkippingNoop(): number {
    while (this.pos < this.bytes.length && this.bytes[this.pos] === 0x4e) this.pos++;
    if (this.pos >= this.bytes.length) this.fail('unexpected end of input');
    return this.bytes[this.pos];
  }

  /** Reads a type marker, skipping no-op markers. */
  private readMarker(): string {
    const m = this.peekMarkerSkippingNoop();
    this.pos++;
    return String.fromCharCode(m);
  }

  /** Reads an integer of the given marker type (used for lengths and counts). */
  private readInt(marker: string, what: string): number {
    const at = this.pos - 1;
    const size = FIXED_SIZE[marker];
    if (!(marker === 'i' || marker === 'U' || marker === 'I' || marker === 'l' || marker === 'L')) {
      this.fail(`${what} must be an integer, found type marker ${JSON.stringify(marker)}`, at);
    }
    this.need(size, what);
    const v = this.readNumberPayload(marker);
    if (typeof v === 'bigint' || v < 0) this.fail(`${what} ${v} is negative or too large`, at);
    return v;
  }

  private readLength(what: string): number {
    if (this.pos >= this.bytes.length) this.fail(`unexpected end of input reading ${what}`);
    const marker = String.fromCharCode(this.bytes[this.pos++]);
    return this.readInt(marker, what);
  }

  private readKey(): string {
    const n = this.readLength('object key length');
    this.need(n, 'object key');
    return this.readUtf8(n);
  }

  private readUtf8(n: number): string {
    const at = this.pos;
    const slice = this.bytes.subarray(at, at + n);
    this.pos += n;
    try {
      return utf8.decode(slice);
    } catch {
      this.fail('string is not valid UTF-8', at);
    }
  }

  /** Payload of a numeric marker at `pos` (bounds already checked); int64 beyond 2^53 as bigint. */
  private readNumberPayload(marker: string): number | bigint {
    const v = this.view;
    const p = this.pos;
    switch (marker) {
      case 'i': this.pos += 1; return v.getInt8(p);
      case 'U': this.pos += 1; return v.getUint8(p);
      case 'I': this.pos += 2; return v.getInt16(p, false);
      case 'l': this.pos += 4; return v.getInt32(p, false);
      case 'L': {
        this.pos += 8;
        const big = v.getBigInt64(p, false);
        return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
      }
      case 'd': this.pos += 4; return v.getFloat32(p, false);
      case 'D': this.pos += 8; return v.getFloat64(p, false);
      default: this.fail(`internal: ${marker} is not numeric`);
    }
  }

  private readScalar(marker: string): UbjValue {
    const at = this.pos - 1;
    switch (marker) {
      case 'Z': return null;
      case 'T': return true;
      case 'F': return false;
      case 'i': case 'U': case 'I': case 'l': case 'L': case 'd': case 'D':
        this.need(FIXED_SIZE[marker], `value of type ${marker}`);
        return this.readNumberPayload(marker);
      case 'C':
        this.need(1, 'char');
        return String.fromCharCode(this.bytes[this.pos++]);
      case 'S': {
        const n = this.readLength('string length');
        this.need(n, 'string');
        return this.readUtf8(n);
      }
      case 'H': {
        const n = this.readLength('high-precision number length');
        this.need(n, 'high-precision number');
        const s = this.readUtf8(n);
        if (!/^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(s)) this.fail(`invalid high-precision number ${JSON.stringify(s)}`, at);
        return Number(s);
      }
      case ']': case '}':
        this.fail(`unexpected ${JSON.stringify(marker)} where a value was expected`, at);
      default:
        this.fail(`unknown type marker ${JSON.stringify(marker)} (0x${marker.charCodeAt(0).toString(16).padStart(2, '0')})`, at);
    }
  }

  /**
   * After '[' or '{': reads the optional `$type` and `#count` header. Returns the frame to push,
   * or null for an optimized numeric array, which is decoded whole into `lastTyped`.
   */
  private openContainer(open: '[' | '{', keyInParent: string): Frame | null {
    const at = this.pos - 1;
    const isArray = open === '[';
    let type: string | null = null;
    let count = -1;
    if (this.pos < this.bytes.length && this.bytes[this.pos] === 0x24 /* $ */) {
      this.pos++;
      this.need(1, 'container element type');
      type = String.fromCharCode(this.bytes[this.pos++]);
      if (this.pos >= this.bytes.length || this.bytes[this.pos] !== 0x23 /* # */) {
        this.fail('a container with a $type must give a #count');
      }
    }
    if (this.pos < this.bytes.length && this.bytes[this.pos] === 0x23 /* # */) {
      this.pos++;
      count = this.readLength('container count');
    }
    if (type !== null) {
      const size = FIXED_SIZE[type];
      if (size === undefined) {
        this.fail(`unsupported optimized container element type ${JSON.stringify(type)}`, at);
      }
      // Zero-size element types still cost a JS value each: bound their count by the input size too.
      this.need(count * Math.max(size, 1), `container of ${count} elements of type ${type}`);
      if (isArray) {
        this.lastTyped = this.readTypedArray(type, count);
        return null;
      }
      const object: UbjObject = {};
      for (let k = 0; k < count; k++) {
        const key = this.readKey();
        setKey(object, key, this.readTypedElement(type));
      }
      this.lastTyped = object;
      return null;
    }
    if (count >= 0) {
      // Each element takes at least one byte (each object entry at least two).
      this.need(isArray ? count : count * 2, `container of ${count} elements`);
    }
    return isArray
      ? { array: [], object: null, remaining: count, keyInParent }
      : { array: null, object: {}, remaining: count, keyInParent };
  }

  private readTypedElement(type: string): UbjValue {
    switch (type) {
      case 'Z': return null;
      case 'T': return true;
      case 'F': return false;
      case 'C': return String.fromCharCode(this.bytes[this.pos++]);
      default: return this.readNumberPayload(type);
    }
  }

  /** `count` elements of `type` (bounds already checked). */
  private readTypedArray(type: string, count: number): UbjValue {
    const v = this.view;
    const p = this.pos;
    switch (type) {
      case 'U': {
        // A copy, never a view into the caller's buffer (Buffer#slice would share memory).
        const out = new Uint8Array(count);
        out.set(this.bytes.subarray(p, p + count));
        this.pos += count;
        return out;
      }
      case 'i': {
        const out = new Int8Array(count);
        for (let k = 0; k < count; k++) out[k] = v.getInt8(p + k);
        this.pos += count;
        return out;
      }
      case 'I': {
        const out = new Int16Array(count);
        for (let k = 0; k < count; k++) out[k] = v.getInt16(p + 2 * k, false);
        this.pos += 2 * count;
        return out;
      }
      case 'l': {
        const out = new Int32Array(count);
        for (let k = 0; k < count; k++) out[k] = v.getInt32(p + 4 * k, false);
        this.pos += 4 * count;
        return out;
      }
      case 'L': {
        const out = new BigInt64Array(count);
        for (let k = 0; k < count; k++) out[k] = v.getBigInt64(p + 8 * k, false);
        this.pos += 8 * count;
        return out;
      }
      case 'd': {
        const out = new Float32Array(count);
        for (let k = 0; k < count; k++) out[k] = v.getFloat32(p + 4 * k, false);
        this.pos += 4 * count;
        return out;
      }
      case 'D': {
        const out = new Float64Array(count);
        for (let k = 0; k < count; k++) out[k] = v.getFloat64(p + 8 * k, false);
        this.pos += 8 * count;
        return out;
      }
      default: {
        const out: UbjValue[] = new Array<UbjValue>(count);
        for (let k = 0; k < count; k++) out[k] = this.readTypedElement(type);
        return out;
      }
    }
  }
}
