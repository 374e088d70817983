package com.example.redact;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Redacts the values of chosen keys in a JSON text (one document, or NDJSON: many, one per line)
 * that arrives in chunks, without holding any of it back.
 *
 * <p>Unlike a find-and-replace, which must keep the tail of a chunk that might begin a match, this
 * is a byte-at-a-time JSON scanner whose state carries across chunks: where it is (in a string, an
 * escape, an object or array, and how deep), the key it is reading, and whether it is dropping a
 * value. Every byte is decided when it is seen, so each chunk's output goes on at once; a key or a
 * value split across chunks is handled because the scanner's state, not the bytes, is what
 * crosses the boundary. Memory per response: the longest key plus the nesting stack.
 *
 * <p>A redacted value (string, number, literal, or a whole object or array) becomes the rules'
 * replacement string. Keys are compared as they are written on the wire: a key spelt with
 * {@code \u0061} escapes for plain letters is not recognised (JSON encoders do not write those).
 * Text that is not JSON passes through unchanged or partly redacted, never longer than it would be
 * with valid input; past {@link #MAX_DEPTH} levels of nesting the rest passes through as is.
 *
 * <p>One per response; not thread-safe (a response's body phases run on one event loop).
 */
final class JsonRedactor {

    /** Deeper nesting than this is passed through untouched, to bound the stack. */
    static final int MAX_DEPTH = 512;

    private static final byte OBJECT = 1;
    private static final byte ARRAY = 2;

    private enum Dropping { NOTHING, STRING, SCALAR, CONTAINER }

    private final RedactRules rules;
    private byte[] stack = new byte[16];
    private int depth;
    private boolean lost;

    private boolean expectKey;
    private boolean inString;
    private boolean escaped;
    private boolean stringIsKey;
    private final byte[] key;
    private int keyLength;
    private boolean keyTooLong;
    /** The key just read is one to redact: its value, after the colon, is dropped. */
    private boolean keyMatched;
    private boolean valueNext;

    private Dropping dropping = Dropping.NOTHING;
    private int dropDepth;
    private boolean dropInString;
    private boolean dropEscaped;

    private byte[] out = new byte[0];
    private int size;

    JsonRedactor(RedactRules rules) {
        this.rules = rules;
        this.key = new byte[rules.longestKey()];
    }

    /** The redacted form of the next chunk; the caller owns the returned array. */
    byte[] next(ByteBuffer chunk) {
        int n = chunk.remaining();
        out = new byte[n + 16];
        size = 0;
        int base = chunk.position();
        for (int i = 0; i < n; i++) {
            scan(chunk.get(base + i));
        }
        return size == out.length ? out : Arrays.copyOf(out, size);
    }

    private void scan(byte b) {
        if (lost) {
            write(b);
            return;
        }
        if (dropping != Dropping.NOTHING && !drop(b)) {
            return;
        }
        if (inString) {
            write(b);
            inString(b);
            return;
        }
        if (valueNext) {
            if (whitespace(b)) {
                write(b);
                return;
            }
            valueNext = false;
            if (!delimiter(b)) {
                startDropping(b);
                return;
            }
            // A colon with no value after it: not JSON; nothing to redact.
        }
        write(b);
        structure(b);
    }

    /** Drops {@code b} as part of the value being redacted; false when it was consumed. */
    private boolean drop(byte b) {
        switch (dropping) {
            case STRING:
                if (dropEscaped) {
                    dropEscaped = false;
                } else if (b == '\\') {
                    dropEscaped = true;
                } else if (b == '"') {
                    dropping = Dropping.NOTHING;
                }
                return false;
            case CONTAINER:
                if (dropInString) {
                    if (dropEscaped) {
                        dropEscaped = false;
                    } else if (b == '\\') {
                        dropEscaped = true;
                    } else if (b == '"') {
                        dropInString = false;
                    }
                } else if (b == '"') {
                    dropInString = true;
                } else if (b == '{' || b == '[') {
                    dropDepth++;
                } else if ((b == '}' || b == ']') && --dropDepth == 0) {
                    dropping = Dropping.NOTHING;
                }
                return false;
            default: // a number or a literal ends at the first byte that is not part of it
                if (delimiter(b) || whitespace(b)) {
                    dropping = Dropping.NOTHING;
                    return true;
                }
                return false;
        }
    }

    private void startDropping(byte first) {
        write(rules.replacement());
        dropEscaped = false;
        dropInString = false;
        if (first == '"') {
            dropping = Dropping.STRING;
        } else if (first == '{' || first == '[') {
            dropping = Dropping.CONTAINER;
            dropDepth = 1;
        } else {
            dropping = Dropping.SCALAR;
        }
    }

    private void inString(byte b) {
        if (escaped) {
            escaped = false;
            keyByte(b);
        } else if (b == '\\') {
            escaped = true;
            keyByte(b);
        } else if (b == '"') {
            inString = false;
            keyMatched = stringIsKey && !keyTooLong && rules.matches(key, keyLength);
        } else {
            keyByte(b);
        }
    }

    private void keyByte(byte b) {
        if (!stringIsKey || keyTooLong) {
            return;
        }
        if (keyLength == key.length) {
            keyTooLong = true;
            return;
        }
        key[keyLength++] = rules.ignoreCase() ? RedactRules.lowerAscii(b) : b;
    }

    private void structure(byte b) {
        switch (b) {
            case '{':
                push(OBJECT);
                expectKey = true;
                break;
            case '[':
                push(ARRAY);
                expectKey = false;
                break;
            case '}':
            case ']':
                if (depth > 0) {
                    depth--;
                }
                expectKey = false;
                keyMatched = false;
                break;
            case ',':
                expectKey = top() == OBJECT;
                keyMatched = false;
                break;
            case ':':
                valueNext = keyMatched;
                keyMatched = false;
                expectKey = false;
                break;
            case '"':
                inString = true;
                escaped = false;
                stringIsKey = expectKey && top() == OBJECT;
                expectKey = false;
                keyMatched = false;
                keyLength = 0;
                keyTooLong = false;
                break;
            default:
                break; // whitespace, or a number or literal outside a redacted value
        }
    }

    private void push(byte kind) {
        if (depth == MAX_DEPTH) {
            lost = true;
            return;
        }
        if (depth == stack.length) {
            stack = Arrays.copyOf(stack, stack.length * 2);
        }
        stack[depth++] = kind;
    }

    private byte top() {
        return depth == 0 ? 0 : stack[depth - 1];
    }

    private static boolean whitespace(byte b) {
        return b == ' ' || b == '\n' || b == '\r' || b == '\t';
    }

    private static boolean delimiter(byte b) {
        return b == ',' || b == '}' || b == ']';
    }

    private void write(byte b) {
        if (size == out.length) {
            out = Arrays.copyOf(out, out.length * 2 + 16);
        }
        out[size++] = b;
    }

    private void write(byte[] bytes) {
        if (size + bytes.length > out.length) {
            out = Arrays.copyOf(out, Math.max(out.length * 2, size + bytes.length) + 16);
        }
        System.arraycopy(bytes, 0, out, size, bytes.length);
        size += bytes.length;
    }
}
