/**
 * JSON that also accepts the bare `NaN`, `Infinity` and `-Infinity` tokens XGBoost 2.x writes
 * (e.g. in `base_weights` or loss statistics), which `JSON.parse` refuses.
 *
 * Most model files are strict JSON, so the native `JSON.parse` is tried first; only when it
 * refuses the text does the hand-written parser below run. That parser is iterative (an explicit
 * container stack, no recursion) so arbitrarily deep nesting cannot overflow the call stack, and
 * it reports errors with line and column, which is also why a failing file goes through it.
 */

/** Thrown for text that is not (lenient) JSON; `offset` is the UTF-16 index where parsing stopped. */
export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
  constructor(
    readonly offset: number,
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`line ${line} column ${column}: ${reason}`);
  }
}

/** Parses JSON text, additionally accepting bare NaN / Infinity / -Infinity as numbers. */
export function parseLenientJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return new LenientParser(text).parse();
  }
}

const CH_TAB = 0x09;
const CH_LF = 0x0a;
const CH_CR = 0x0d;
const CH_SPACE = 0x20;
const CH_QUOTE = 0x22;
const CH_PLUS = 0x2b;
const CH_COMMA = 0x2c;
const CH_MINUS = 0x2d;
const CH_DOT = 0x2e;
const CH_0 = 0x30;
const CH_9 = 0x39;
const CH_COLON = 0x3a;
const CH_UPPER_E = 0x45;
const CH_BACKSLASH = 0x5c;
const CH_LBRACKET = 0x5b;
const CH_RBRACKET = 0x5d;
const CH_LOWER_E = 0x65;
const CH_LBRACE = 0x7b;
const CH_RBRACE = 0x7d;

/** One open container: an array, or an object with the key whose value is being parsed. */
interface Frame {
  array: unknown[] | null;
  object: Record<string, unknown> | null;
  key: string;
}

function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  // A plain assignment to "__proto__" would replace the prototype instead of adding a key.
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

class LenientParser {
  private i = 0;

  constructor(private readonly text: string) {}

  parse(): unknown {
    const text = this.text;
    const stack: Frame[] = [];
    for (;;) {
      // Expecting a value.
      this.skipWs();
      let value: unknown;
      const c = text.charCodeAt(this.i);
      if (c === CH_LBRACE) {
        this.i++;
        this.skipWs();
        const object: Record<string, unknown> = {};
        if (text.charCodeAt(this.i) === CH_RBRACE) {
          this.i++;
          value = object;
        } else {
          stack.push({ array: null, object, key: this.parseKey() });
          continue;
        }
      } else if (c === CH_LBRACKET) {
        this.i++;
        this.skipWs();
        const array: unknown[] = [];
        if (text.charCodeAt(this.i) === CH_RBRACKET) {
          this.i++;
          value = array;
        } else {
          stack.push({ array, object: null, key: '' });
          continue;
        }
      } else {
        value = this.parseScalar();
      }
      // Attach the finished value; close every container that ends right after it.
      for (;;) {
        const top = stack.length > 0 ? stack[stack.length - 1] : undefined;
        if (top === undefined) {
          this.skipWs();
          if (this.i < text.length) this.fail('unexpected text after the end of the document');
          return value;
        }
        if (top.array) top.array.push(value);
        else setKey(top.object!, top.key, value);
        this.skipWs();
        const d = text.charCodeAt(this.i);
        if (d === CH_COMMA) {
          this.i++;
          if (top.object) {
            this.skipWs();
            top.key = this.parseKey();
          }
          break;
        }
        if (top.array ? d === CH_RBRACKET : d === CH_RBRACE) {
          this.i++;
          stack.pop();
          value = top.array ?? top.object;
          continue;
        }
        if (this.i >= text.length) this.fail(`unexpected end of input inside ${top.array ? 'an array' : 'an object'}`);
        this.fail(`expected ',' or '${top.array ? ']' : '}'}'`);
      }
    }
  }

  private skipWs(): void {
    const text = this.text;
    let i = this.i;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === CH_SPACE || c === CH_LF || c === CH_CR || c === CH_TAB) i++;
      else break;
    }
    this.i = i;
  }

  /** An object key and the ':' after it. */
  private parseKey(): string {
    if (this.text.charCodeAt(this.i) !== CH_QUOTE) {
      if (this.i >= this.text.length) this.fail('unexpected end of input where an object key was expected');
      this.fail('expected a string key');
    }
    const key = this.parseString();
    this.skipWs();
    if (this.text.charCodeAt(this.i) !== CH_COLON) {
      if (this.i >= this.text.length) this.fail('unexpected end of input after an object key');
      this.fail("expected ':' after an object key");
    }
    this.i++;
    return key;
  }

  private parseScalar(): unknown {
    const text = this.text;
    const c = text.charCodeAt(this.i);
    if (c === CH_QUOTE) return this.parseString();
    if (c === CH_MINUS || (c >= CH_0 && c <= CH_9)) {
      if (c === CH_MINUS && text.startsWith('Infinity', this.i + 1)) {
        this.i += 9;
        return -Infinity;
      }
      return this.parseNumber();
    }
    if (this.matchWord('true')) return true;
    if (this.matchWord('false')) return false;
    if (this.matchWord('null')) return null;
    if (this.matchWord('NaN')) return NaN;
    if (this.matchWord('Infinity')) return Infinity;
    if (this.i >= text.length) this.fail('unexpected end of input where a value was expected');
    const rest = text.slice(this.i);
    if (['true', 'false', 'null', 'NaN', 'Infinity'].some((w) => w.startsWith(rest))) {
      this.failAt(text.length, `unexpected end of input in ${JSON.stringify(rest)}`);
    }
    this.fail(`unexpected character ${JSON.stringify(text[this.i])} where a value was expected`);
  }

  private matchWord(word: string): boolean {
    if (!this.text.startsWith(word, this.i)) return false;
    this.i += word.length;
    return true;
  }

  private parseNumber(): number {
    const text = this.text;
    const start = this.i;
    let i = start;
    const negative = text.charCodeAt(i) === CH_MINUS;
    if (negative) i++;
    // Accumulate the digits as an integer mantissa while it stays exact (<= 15 significant digits).
    let mantissa = 0;
    let significant = 0;
    let scale = 0; // decimal exponent contributed by fraction digits
    const intStart = i;
    for (let c = text.charCodeAt(i); isDigit(c); c = text.charCodeAt(++i)) {
      if (mantissa !== 0 || c !== CH_0) {
        mantissa = mantissa * 10 + (c - CH_0);
        significant++;
      }
    }
    if (i === intStart) this.failAt(i, 'expected a digit');
    if (text.charCodeAt(intStart) === CH_0 && i - intStart > 1) this.failAt(intStart, 'leading zeros are not allowed');
    if (text.charCodeAt(i) === CH_DOT) {
      i++;
      const fracStart = i;
      for (let c = text.charCodeAt(i); isDigit(c); c = text.charCodeAt(++i)) {
        if (mantissa !== 0 || c !== CH_0) {
          mantissa = mantissa * 10 + (c - CH_0);
          significant++;
        }
        scale--;
      }
      if (i === fracStart) this.failAt(i, 'expected a digit after the decimal point');
    }
    let exponent = 0;
    const e = text.charCodeAt(i);
    if (e === CH_LOWER_E || e === CH_UPPER_E) {
      i++;
      const s = text.charCodeAt(i);
      const expNegative = s === CH_MINUS;
      if (s === CH_PLUS || s === CH_MINUS) i++;
      const expStart = i;
      for (let c = text.charCodeAt(i); isDigit(c); c = text.charCodeAt(++i)) {
        if (exponent < 100000) exponent = exponent * 10 + (c - CH_0);
      }
      if (i === expStart) this.failAt(i, 'expected a digit in the exponent');
      if (expNegative) exponent = -exponent;
    }
    this.i = i;
    const p = exponent + scale;
    // Exact mantissa and exact power of ten: one IEEE operation is correctly rounded, so this
    // gives the same double as JSON.parse. Anything else goes through Number() on the text.
    if (significant <= 15 && p >= -22 && p <= 22) {
      const v = p >= 0 ? mantissa * POW10[p] : mantissa / POW10[-p];
      return negative ? -v : v;
    }
    return Number(text.slice(start, i));
  }

  private parseString(): string {
    const text = this.text;
    const start = this.i + 1; // after the opening quote
    let i = start;
    // Fast path: no escapes.
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === CH_QUOTE) {
        this.i = i + 1;
        return text.slice(start, i);
      }
      if (c === CH_BACKSLASH) break;
      if (c < CH_SPACE || Number.isNaN(c)) {
        if (i >= text.length) this.failAt(i, 'unterminated string');
        this.failAt(i, 'control character in a string');
      }
      i++;
    }
    let out = '';
    let segment = start; // first character not yet copied to `out`
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === CH_QUOTE) {
        this.i = i + 1;
        return out + text.slice(segment, i);
      }
      if (c === CH_BACKSLASH) {
        out += text.slice(segment, i);
        const e = text[i + 1];
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            const hex = text.slice(i + 2, i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
              if (i + 6 > text.length) this.failAt(text.length, 'unterminated string');
              this.failAt(i, 'invalid \\u escape');
            }
            out += String.fromCharCode(parseInt(hex, 16));
            i += 4;
            break;
          }
          default:
            if (i + 1 >= text.length) this.failAt(i, 'unterminated string');
            this.failAt(i, `invalid escape \\${e}`);
        }
        i += 2;
        segment = i;
        continue;
      }
      if (c < CH_SPACE || Number.isNaN(c)) {
        if (i >= text.length) this.failAt(i, 'unterminated string');
        this.failAt(i, 'control character in a string');
      }
      i++;
    }
  }

  private fail(reason: string): never {
    this.failAt(this.i, reason);
  }

  private failAt(offset: number, reason: string): never {
    const at = Math.min(offset, this.text.length);
    // A truncated file is the common case: say so whatever the parser was expecting.
    if (at === this.text.length && !reason.startsWith('unexpected end of input')) {
      reason = `unexpected end of input (${reason})`;
    }
    let line = 1;
    let lineStart = 0;
    for (let k = this.text.indexOf('\n'); k !== -1 && k < at; k = this.text.indexOf('\n', k + 1)) {
      line++;
      lineStart = k + 1;
    }
    throw new JsonSyntaxError(at, line, at - lineStart + 1, reason);
  }
}

/** 10^0 .. 10^22: every one is exactly representable as a double. */
const POW10: readonly number[] = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

function isDigit(c: number): boolean {
  return c >= CH_0 && c <= CH_9;
}
