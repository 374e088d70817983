package dev.turnpike.plugins.ratelimit;

import dev.turnpike.api.Headers;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@link Headers} over a list, names case-insensitive, as the runtime's view behaves. */
final class FakeHeaders implements Headers {

    private final List<Map.Entry<String, String>> entries = new ArrayList<>();

    @Override
    public String get(String name) {
        for (Map.Entry<String, String> e : entries) {
            if (e.getKey().equalsIgnoreCase(name)) {
                return e.getValue();
            }
        }
        return null;
    }

    @Override
    public List<String> getAll(String name) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String> e : entries) {
            if (e.getKey().equalsIgnoreCase(name)) {
                out.add(e.getValue());
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
        remove(name);
        return add(name, value);
    }

    @Override
    public Headers add(String name, String value) {
        entries.add(Map.entry(name, value));
        return this;
    }

    @Override
    public Headers remove(String name) {
        entries.removeIf(e -> e.getKey().equalsIgnoreCase(name));
        return this;
    }

    @Override
    public Set<String> names() {
        Set<String> out = new LinkedHashSet<>();
        entries.forEach(e -> out.add(e.getKey()));
        return out;
    }

    @Override
    public int size() {
        return entries.size();
    }

    @Override
    public Iterator<Map.Entry<String, String>> iterator() {
        return entries.iterator();
    }
}
