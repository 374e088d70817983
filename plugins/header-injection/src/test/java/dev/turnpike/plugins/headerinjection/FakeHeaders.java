package dev.turnpike.plugins.headerinjection;

import dev.turnpike.api.Headers;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@link Headers} in memory, with the runtime's rules: names compare ignoring case, order is kept,
 * and a value with CR, LF or NUL is refused (as the runtime's view refuses it).
 */
final class FakeHeaders implements Headers {

    private final List<Map.Entry<String, String>> fields = new ArrayList<>();

    static FakeHeaders of(String... nameValue) {
        FakeHeaders h = new FakeHeaders();
        for (int i = 0; i < nameValue.length; i += 2) {
            h.add(nameValue[i], nameValue[i + 1]);
        }
        return h;
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

    @Override
    public Headers set(String name, String value) {
        check(name, value);
        remove(name);
        fields.add(new AbstractMap.SimpleEntry<>(name, value));
        return this;
    }

    @Override
    public Headers add(String name, String value) {
        check(name, value);
        fields.add(new AbstractMap.SimpleEntry<>(name, value));
        return this;
    }

    @Override
    public Headers remove(String name) {
        fields.removeIf(f -> f.getKey().equalsIgnoreCase(name));
        return this;
    }

    @Override
    public Set<String> names() {
        Set<String> out = new LinkedHashSet<>();
        fields.forEach(f -> out.add(f.getKey()));
        return out;
    }

    @Override
    public int size() {
        return fields.size();
    }

    @Override
    public Iterator<Map.Entry<String, String>> iterator() {
        return List.copyOf(fields).iterator();
    }

    private static void check(String name, String value) {
        if (name == null || name.isEmpty() || value == null) {
            throw new IllegalArgumentException("header " + name + ": null or empty");
        }
        for (int i = 0; i < name.length(); i++) {
            if (!HeaderSyntax.isTchar(name.charAt(i))) {
                throw new IllegalArgumentException("header name " + name);
            }
        }
        if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0 || value.indexOf(0) >= 0) {
            throw new IllegalArgumentException("header " + name + ": value contains CR, LF or NUL");
        }
    }

    @Override
    public String toString() {
        return fields.toString();
    }
}
