package dev.turnpike.testkit.phases;

import dev.turnpike.api.Headers;
import dev.turnpike.api.MessageSyntax;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@link Headers} in memory, held to the runtime's rules: names compare ignoring case, fields keep
 * the order they were added in (a repeated name is several fields), {@link #set} replaces every
 * value of a name, a name that is not an HTTP token or a value with CR, LF or NUL is refused with
 * {@link IllegalArgumentException}, and the iterator hands out immutable copies (an entry's
 * {@code setValue} cannot get around the checks).
 *
 * <p>A {@code FakeHeaders} made with {@code new} or {@link #of} is always editable. The heads of a
 * {@link FakeSession} make theirs editable only in the phases where the runtime allows an edit;
 * elsewhere an edit throws {@link IllegalStateException} with the runtime's reason.
 *
 * <p>Not thread-safe, as the runtime's view is confined to the request's event loop.
 * {@link #toString()} lists the fields as {@code [Name=value, ...]}.
 */
public final class FakeHeaders implements Headers {

    private static final Supplier<String> ALWAYS_EDITABLE = () -> null;

    private final List<Map.Entry<String, String>> fields = new ArrayList<>();
    private final Supplier<String> whyReadOnly;

    /** Empty, editable headers. */
    public FakeHeaders() {
        this(ALWAYS_EDITABLE);
    }

    /** @param whyReadOnly the reason an edit is refused now, or {@code null} while edits are allowed */
    FakeHeaders(Supplier<String> whyReadOnly) {
        this.whyReadOnly = whyReadOnly;
    }

    /**
     * Editable headers from alternating names and values: {@code of("Host", "a", "Accept", "*}{@code /*")}.
     *
     * @throws IllegalArgumentException for an odd count, or a name or value the runtime refuses
     */
    public static FakeHeaders of(String... namesAndValues) {
        FakeHeaders h = new FakeHeaders();
        h.addAll(namesAndValues);
        return h;
    }

    /**
     * Adds alternating names and values with the name and value checks but not the edit rule: what
     * the test sets up is what the client or the backend sent, not a plugin's edit.
     */
    FakeHeaders addAll(String... namesAndValues) {
        if (namesAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("headers come as name, value pairs: got " + namesAndValues.length + " strings");
        }
        for (int i = 0; i < namesAndValues.length; i += 2) {
            append(namesAndValues[i], namesAndValues[i + 1]);
        }
        return this;
    }

    /** Adds one field, checked, whatever the edit rule says (set-up, not a plugin's edit). */
    FakeHeaders append(String name, String value) {
        MessageSyntax.checkName(name);
        MessageSyntax.checkValue(name, value);
        fields.add(new AbstractMap.SimpleImmutableEntry<>(name, value));
        return this;
    }

    @Override
    public String get(String name) {
        for (Map.Entry<String, String> f : fields) {
            if (f.getKey().equalsIgnoreCase(name)) {
                return f.getValue();
            }
        }
        return null;
    }

    @Override
    public List<String> getAll(String name) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String> f : fields) {
            if (f.getKey().equalsIgnoreCase(name)) {
                out.add(f.getValue());
            }
        }
        return out;
    }

    @Override
    public boolean contains(String name) {
        return get(name) != null;
    }

    /** Replaces every value of {@code name} (in any case) with this one, added at the end. */
    @Override
    public FakeHeaders set(String name, String value) {
        checkEditable();
        MessageSyntax.checkName(name);
        MessageSyntax.checkValue(name, value);
        fields.removeIf(f -> f.getKey().equalsIgnoreCase(name));
        fields.add(new AbstractMap.SimpleImmutableEntry<>(name, value));
        return this;
    }

    @Override
    public FakeHeaders add(String name, String value) {
        checkEditable();
        return append(name, value);
    }

    @Override
    public FakeHeaders remove(String name) {
        checkEditable();
        fields.removeIf(f -> f.getKey().equalsIgnoreCase(name));
        return this;
    }

    /** Removes every field (a test's reset; not part of {@link Headers}). Subject to the same edit rule. */
    public FakeHeaders clear() {
        checkEditable();
        fields.clear();
        return this;
    }

    /** The distinct names, as first written, in order; a name written in two cases is listed once. */
    @Override
    public Set<String> names() {
        Set<String> out = new LinkedHashSet<>();
        for (Map.Entry<String, String> f : fields) {
            if (out.stream().noneMatch(n -> n.equalsIgnoreCase(f.getKey()))) {
                out.add(f.getKey());
            }
        }
        return out;
    }

    @Override
    public int size() {
        return fields.size();
    }

    /** The fields in order, over a snapshot: editing the headers while iterating is safe. */
    @Override
    public Iterator<Map.Entry<String, String>> iterator() {
        return List.copyOf(fields).iterator();
    }

    /** A copy of the fields, editable, for a new head made from this one. */
    FakeHeaders copy(Supplier<String> whyReadOnly) {
        FakeHeaders c = new FakeHeaders(whyReadOnly);
        c.fields.addAll(fields);
        return c;
    }

    private void checkEditable() {
        Editable.check(whyReadOnly);
    }

    @Override
    public String toString() {
        return fields.toString();
    }
}
