package dev.turnpike.plugins.ratelimit;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The path prefixes of {@code key: ip_path}, and the normalization that keeps a client from
 * slipping past them by spelling a path differently from how the backend will read it.
 *
 * <p>A prefix matches on whole segments: {@code /api} matches {@code /api}, {@code /api/} and
 * {@code /api/users} but not {@code /apix}; a prefix that ends with {@code /} ({@code /api/}) matches
 * what starts with it. The longest matching prefix wins. Paths compare case-sensitively.
 *
 * <p>Before matching, the request path is normalized (RFC 3986 section 6.2.2, plus merged
 * slashes as nginx does): percent-encoded unreserved characters are decoded ({@code /%61pi} is
 * {@code /api}), runs of {@code /} become one ({@code //api}), and {@code .} and {@code ..} segments
 * are resolved ({@code /x/../api}). Other percent-encodings ({@code %2F}) stay as they are. A path
 * with none of {@code %}, {@code //} or {@code /.} is used as it is, without allocating.
 */
final class PathPrefixes {

    /** A prefix the config cannot use, with its index in the list. */
    static final class BadPrefix extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        final int index;

        BadPrefix(int index, String message) {
            super(message);
            this.index = index;
        }
    }

    /** Longest first, so the first match is the longest. */
    private final String[] prefixes;

    private PathPrefixes(List<String> prefixes) {
        this.prefixes = prefixes.toArray(new String[0]);
    }

    /** @throws BadPrefix for one that does not start with {@code /} or holds a space, {@code ?} or {@code #} */
    static PathPrefixes of(List<String> configured) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < configured.size(); i++) {
            String p = configured.get(i).trim();
            if (!p.startsWith("/")) {
                throw new BadPrefix(i, "'" + p + "' is not a path prefix: it must start with /");
            }
            for (int j = 0; j < p.length(); j++) {
                char ch = p.charAt(j);
                if (ch <= ' ' || ch == '?' || ch == '#' || ch >= 0x7f) {
                    throw new BadPrefix(i, "'" + p + "' has a character a path prefix cannot hold at " + j);
                }
            }
            String n = normalize(p);
            if (!out.contains(n)) {
                out.add(n);
            }
        }
        out.sort(Comparator.comparingInt(String::length).reversed());
        return new PathPrefixes(out);
    }

    /** The longest prefix that {@code path} (raw, as received) falls under, or {@code null}. */
    String match(String path) {
        if (path == null || path.isEmpty()) {
            return null;
        }
        String p = normalize(path);
        for (String prefix : prefixes) {
            if (p.startsWith(prefix)
                    && (p.length() == prefix.length() || prefix.endsWith("/") || p.charAt(prefix.length()) == '/')) {
                return prefix;
            }
        }
        return null;
    }

    List<String> prefixes() {
        return List.of(prefixes);
    }

    /** See the class comment. */
    static String normalize(String path) {
        if (path.indexOf('%') < 0 && path.indexOf("//") < 0 && path.indexOf("/.") < 0) {
            return path;
        }
        String decoded = decodeUnreserved(path);
        String[] parts = decoded.split("/", -1);
        List<String> kept = new ArrayList<>();
        boolean trailingSlash = decoded.endsWith("/");
        for (int k = 0; k < parts.length; k++) {
            String seg = parts[k];
            boolean last = k == parts.length - 1;
            if (seg.equals("..")) {
                if (!kept.isEmpty()) {
                    kept.remove(kept.size() - 1);
                }
                trailingSlash |= last;
            } else if (seg.equals(".")) {
                trailingSlash |= last;
            } else if (!seg.isEmpty()) {
                kept.add(seg);
            }
        }
        StringBuilder out = new StringBuilder(decoded.length());
        if (decoded.startsWith("/")) {
            out.append('/');
        }
        out.append(String.join("/", kept));
        if (trailingSlash && !kept.isEmpty()) {
            out.append('/');
        }
        return out.toString();
    }

    private static String decodeUnreserved(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '%' && i + 2 < s.length()) {
                int hi = hex(s.charAt(i + 1));
                int lo = hex(s.charAt(i + 2));
                if (hi >= 0 && lo >= 0) {
                    char c = (char) (hi * 16 + lo);
                    if (isUnreserved(c)) {
                        if (out == null) {
                            out = new StringBuilder(s.length()).append(s, 0, i);
                        }
                        out.append(c);
                        i += 2;
                        continue;
                    }
                }
            }
            if (out != null) {
                out.append(ch);
            }
        }
        return out == null ? s : out.toString();
    }

    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    private static boolean isUnreserved(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '-' || c == '.' || c == '_' || c == '~';
    }
}
