package dev.turnpike.runtime.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A parsed {@code access_log.template}: literal text and {@code $variables} (or {@code ${variable}}
 * where a name runs into text), like nginx's {@code log_format}. Parsed when the configuration is
 * read, so an unknown variable is refused with its key before anything starts.
 */
public record AccessLogTemplate(String source, List<Part> parts) {

    /** nginx's {@code combined} format. */
    public static final String COMBINED =
            "$remote_addr - - [$time_local] \"$request\" $status $body_bytes_sent \"$http_referer\" \"$http_user_agent\"";

    /** One piece of a template. */
    public sealed interface Part {
    }

    public record Literal(String text) implements Part {
    }

    public record Variable(AccessLogVariable variable) implements Part {
    }

    /** {@code $http_<name>}: a request header, {@code name} lower case with dashes. */
    public record Header(String name) implements Part {
    }

    public AccessLogTemplate {
        parts = List.copyOf(parts);
    }

    @Override
    public String toString() {
        return source;
    }

    /** The header names the template reads, in order of first use. */
    public List<String> headerNames() {
        List<String> out = new ArrayList<>();
        for (Part p : parts) {
            if (p instanceof Header h && !out.contains(h.name())) {
                out.add(h.name());
            }
        }
        return out;
    }

    /** Parses {@code text}; throws IllegalArgumentException with the reason. */
    public static AccessLogTemplate parse(String text) {
        List<Part> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c != '$') {
                literal.append(c);
                i++;
                continue;
            }
            if (i + 1 < text.length() && text.charAt(i + 1) == '$') {
                literal.append('$');
                i += 2;
                continue;
            }
            boolean braced = i + 1 < text.length() && text.charAt(i + 1) == '{';
            int start = i + (braced ? 2 : 1);
            int end = start;
            while (end < text.length() && isNameChar(text.charAt(end))) {
                end++;
            }
            if (end == start) {
                throw new IllegalArgumentException("a $ at offset " + i + " is not followed by a variable name"
                        + " (write $$ for a literal $)" );
            }
            if (braced) {
                if (end >= text.length() || text.charAt(end) != '}') {
                    throw new IllegalArgumentException("${ at offset " + i + " is not closed by }");
                }
            }
            String name = text.substring(start, end).toLowerCase(Locale.ROOT);
            if (literal.length() > 0) {
                parts.add(new Literal(literal.toString()));
                literal.setLength(0);
            }
            parts.add(part(name));
            i = braced ? end + 1 : end;
        }
        if (literal.length() > 0) {
            parts.add(new Literal(literal.toString()));
        }
        if (parts.stream().noneMatch(p -> !(p instanceof Literal))) {
            throw new IllegalArgumentException("has no variable");
        }
        return new AccessLogTemplate(text, parts);
    }

    private static Part part(String name) {
        if (name.startsWith("http_") && name.length() > 5) {
            return new Header(name.substring(5).replace('_', '-'));
        }
        AccessLogVariable v = AccessLogVariable.named(name);
        if (v == null) {
            StringBuilder known = new StringBuilder();
            for (AccessLogVariable k : AccessLogVariable.values()) {
                known.append(known.length() == 0 ? "" : ", ").append('$').append(k.variableName());
            }
            throw new IllegalArgumentException("unknown variable $" + name + "; known: " + known
                    + ", and $http_<header name> for any request header");
        }
        return new Variable(v);
    }

    private static boolean isNameChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    }
}
