package dev.turnpike.plugins.headerinjection;

import dev.turnpike.api.Session;
import dev.turnpike.api.config.InvalidConfigException;
import java.util.ArrayList;
import java.util.List;

/**
 * A configured header value, parsed once into literal text and variables so that a request only
 * concatenates.
 *
 * <p>Syntax: {@code $name} or {@code ${name}} is a variable (see {@link Variable}); a name runs over
 * letters, digits and {@code _}, so {@code ${host}} is needed right before such a character;
 * {@code $$} is a literal {@code $}; a {@code $} followed by anything else (a digit, a space, the
 * end) is literal too. An unknown name or an unclosed {@code ${} is a configuration error.
 *
 * <p>Expansion allocates nothing for a value without variables or made of one variable alone, and
 * one string otherwise. Immutable and thread-safe.
 */
final class Template {

    private final String text;
    /** The value itself when it has no variables; {@code null} otherwise. */
    private final String constant;
    /** {@code literals[i]} comes before {@code variables[i]}; the last one after the last variable. */
    private final String[] literals;
    private final Variable[] variables;
    private final int literalLength;
    private final int needs;

    private Template(String text, List<String> literals, List<Variable> variables) {
        this.text = text;
        this.literals = literals.toArray(new String[0]);
        this.variables = variables.toArray(new Variable[0]);
        int length = 0;
        int mask = 0;
        for (String l : this.literals) {
            length += l.length();
        }
        for (Variable v : this.variables) {
            mask |= v.bit();
        }
        this.literalLength = length;
        this.needs = mask;
        this.constant = this.variables.length == 0 ? this.literals[0] : null;
    }

    /**
     * Parses a configured value. The caller has checked its characters ({@link HeaderSyntax#checkValue}).
     *
     * @param keyPath where the value is in the configuration, for the error
     * @throws InvalidConfigException for an unknown variable or an unclosed {@code ${}
     */
    static Template parse(String text, String keyPath) {
        List<String> literals = new ArrayList<>();
        List<Variable> variables = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int n = text.length();
        int i = 0;
        while (i < n) {
            char c = text.charAt(i);
            char next = i + 1 < n ? text.charAt(i + 1) : 0;
            if (c != '$') {
                literal.append(c);
                i++;
            } else if (next == '$') {
                literal.append('$');
                i += 2;
            } else if (next == '{') {
                int close = text.indexOf('}', i + 2);
                if (close < 0) {
                    throw new InvalidConfigException(keyPath, "'${' at position " + i + " has no closing '}'");
                }
                variables.add(variable(text.substring(i + 2, close), keyPath));
                literals.add(literal.toString());
                literal.setLength(0);
                i = close + 1;
            } else if (isNameStart(next)) {
                int end = i + 1;
                while (end < n && isNameChar(text.charAt(end))) {
                    end++;
                }
                variables.add(variable(text.substring(i + 1, end), keyPath));
                literals.add(literal.toString());
                literal.setLength(0);
                i = end;
            } else {
                literal.append('$');
                i++;
            }
        }
        literals.add(literal.toString());
        return new Template(text, literals, variables);
    }

    private static Variable variable(String name, String keyPath) {
        Variable v = Variable.byName(name);
        if (v == null) {
            throw new InvalidConfigException(keyPath, "unknown variable $" + name + " (known: " + Variable.known()
                    + "; write $$ for a literal $, ${name} before a letter, digit or _)");
        }
        return v;
    }

    private static boolean isNameStart(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    }

    private static boolean isNameChar(char c) {
        return isNameStart(c) || (c >= '0' && c <= '9');
    }

    /** The value for one request. */
    String expand(Session session, String clientIp, String host) {
        if (constant != null) {
            return constant;
        }
        if (variables.length == 1 && literalLength == 0) {
            return variables[0].value(session, clientIp, host);
        }
        StringBuilder b = new StringBuilder(literalLength + 24 * variables.length);
        for (int i = 0; i < variables.length; i++) {
            b.append(literals[i]).append(variables[i].value(session, clientIp, host));
        }
        return b.append(literals[variables.length]).toString();
    }

    /** The variables used, as a mask of {@link Variable#bit()}. */
    int needs() {
        return needs;
    }

    boolean uses(Variable v) {
        return (needs & v.bit()) != 0;
    }

    /** Whether the value has no variables (it is always the same text). */
    boolean isConstant() {
        return constant != null;
    }

    /** The value as configured. */
    @Override
    public String toString() {
        return text;
    }
}
