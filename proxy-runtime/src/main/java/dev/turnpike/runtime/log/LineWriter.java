package dev.turnpike.runtime.log;

/** One text or JSON line being written; a {@code null} value is absent (text: {@code -}; JSON: {@code null}). */
abstract class LineWriter {

    final StringBuilder sb;
    /** Where this line starts in {@link #sb}, which may hold lines before it. */
    final int start;

    LineWriter(StringBuilder into) {
        this.sb = into;
        this.start = into.length();
    }

    /** {@code bare}: a number, written without quotes in JSON. */
    abstract void field(String key, String value, boolean bare);

    /**
     * Starts a field whose value the caller then appends to {@link #sb} itself: a value that is
     * never empty and never needs quoting or escaping. {@link #close} ends it.
     */
    abstract void open(String key, boolean bare);

    abstract void close(boolean bare);

    abstract void end();

    /** {@code key=value key="value with spaces"}. */
    static final class Text extends LineWriter {
        Text(StringBuilder into) {
            super(into);
        }

        @Override
        void field(String key, String value, boolean bare) {
            if (sb.length() != start) {
                sb.append(' ');
            }
            sb.append(key).append('=');
            if (value == null || value.isEmpty()) {
                sb.append('-');
            } else if (needsQuotes(value)) {
                sb.append('"');
                escape(value, sb);
                sb.append('"');
            } else {
                sb.append(value);
            }
        }

        @Override
        void open(String key, boolean bare) {
            if (sb.length() != start) {
                sb.append(' ');
            }
            sb.append(key).append('=');
        }

        @Override
        void close(boolean bare) {
        }

        private static boolean needsQuotes(String v) {
            for (int i = 0; i < v.length(); i++) {
                char c = v.charAt(i);
                if (c <= ' ' || c == '"' || c == '\\' || c >= 0x7f) {
                    return true;
                }
            }
            return false;
        }

        @Override
        void end() {
        }
    }

    /** {@code {"key":"value",...}}. */
    static final class Json extends LineWriter {
        Json(StringBuilder into) {
            super(into);
            sb.append('{');
        }

        @Override
        void field(String key, String value, boolean bare) {
            if (sb.length() > start + 1) {
                sb.append(',');
            }
            sb.append('"').append(key).append("\":");
            if (value == null) {
                sb.append("null");
            } else if (bare) {
                sb.append(value);
            } else {
                sb.append('"');
                escape(value, sb);
                sb.append('"');
            }
        }

        @Override
        void open(String key, boolean bare) {
            if (sb.length() > start + 1) {
                sb.append(',');
            }
            sb.append('"').append(key).append(bare ? "\":" : "\":\"");
        }

        @Override
        void close(boolean bare) {
            if (!bare) {
                sb.append('"');
            }
        }

        @Override
        void end() {
            sb.append('}');
        }
    }

    /** Escapes quotes, backslashes and control characters (JSON rules, also used for quoted text). */
    static void escape(String v, StringBuilder sb) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                sb.append("\\u00").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
            } else {
                sb.append(c);
            }
        }
    }

    /**
     * A template value as nginx writes one: {@code "}, {@code \}, control and non-ASCII characters
     * as {@code \xHH}, so a value can never end a quoted field or forge a line.
     */
    static void escapeTemplateValue(String v, StringBuilder sb) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '"' || c == '\\' || c < 0x20 || c >= 0x7f) {
                if (c > 0xff) {
                    c = '?';
                    sb.append(c);
                    continue;
                }
                sb.append("\\x").append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            } else {
                sb.append(c);
            }
        }
    }
}
