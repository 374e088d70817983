package dev.turnpike.plugins.headerinjection;

import dev.turnpike.api.Headers;
import dev.turnpike.api.Session;
import dev.turnpike.api.config.ConfigSection;
import dev.turnpike.api.config.InvalidConfigException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The configured edits of one message (the request going upstream, or the response going to the
 * client), applied in this order: {@code remove}, then {@code set}, then {@code add}; within each, in
 * the order of the configuration. Immutable and thread-safe.
 */
final class HeaderEdits {

    static final HeaderEdits NONE = new HeaderEdits(new String[0], new String[0], new Template[0],
            new String[0], new Template[0]);

    private final String[] remove;
    private final String[] setNames;
    private final Template[] setValues;
    private final String[] addNames;
    private final Template[] addValues;
    private final int needs;

    private HeaderEdits(String[] remove, String[] setNames, Template[] setValues, String[] addNames,
                        Template[] addValues) {
        this.remove = remove;
        this.setNames = setNames;
        this.setValues = setValues;
        this.addNames = addNames;
        this.addValues = addValues;
        int mask = 0;
        for (Template t : setValues) {
            mask |= t.needs();
        }
        for (Template t : addValues) {
            mask |= t.needs();
        }
        this.needs = mask;
    }

    /**
     * Reads {@code set} (name: value), {@code add} (name: value or list of values) and
     * {@code remove} (list of names) from {@code section}.
     *
     * @throws InvalidConfigException naming the offending key
     */
    static HeaderEdits read(ConfigSection section) {
        List<String> remove = new ArrayList<>();
        List<String> removeList = section.strings("remove");
        for (int i = 0; i < removeList.size(); i++) {
            String name = removeList.get(i);
            HeaderSyntax.checkName(name, section.keyPath("remove") + "[" + i + "]");
            remove.add(name);
        }

        List<String> setNames = new ArrayList<>();
        List<Template> setValues = new ArrayList<>();
        ConfigSection set = section.section("set");
        Map<String, Object> raw = set.raw();
        Map<String, String> seen = new HashMap<>();
        for (String name : set.keys()) {
            String keyPath = set.keyPath(name);
            checkNewName(name, keyPath, seen);
            Object v = raw.get(name);
            if (v instanceof List) {
                throw new InvalidConfigException(keyPath, "set takes one value; put several values under add");
            }
            setNames.add(name);
            setValues.add(template(v, keyPath));
        }

        List<String> addNames = new ArrayList<>();
        List<Template> addValues = new ArrayList<>();
        ConfigSection add = section.section("add");
        raw = add.raw();
        seen.clear();
        for (String name : add.keys()) {
            String keyPath = add.keyPath(name);
            checkNewName(name, keyPath, seen);
            Object v = raw.get(name);
            if (v instanceof List) {
                List<?> values = (List<?>) v;
                if (values.isEmpty()) {
                    throw new InvalidConfigException(keyPath, "an empty list adds nothing; give a value or a list of values");
                }
                for (int i = 0; i < values.size(); i++) {
                    addNames.add(name);
                    addValues.add(template(values.get(i), keyPath + "[" + i + "]"));
                }
            } else {
                addNames.add(name);
                addValues.add(template(v, keyPath));
            }
        }
        if (remove.isEmpty() && setNames.isEmpty() && addNames.isEmpty()) {
            return NONE;
        }
        return new HeaderEdits(remove.toArray(new String[0]), setNames.toArray(new String[0]),
                setValues.toArray(new Template[0]), addNames.toArray(new String[0]), addValues.toArray(new Template[0]));
    }

    /** A valid name, not given twice in one mapping (YAML keys differ in case, HTTP names do not). */
    private static void checkNewName(String name, String keyPath, Map<String, String> seen) {
        HeaderSyntax.checkName(name, keyPath);
        String earlier = seen.putIfAbsent(name.toLowerCase(Locale.ROOT), name);
        if (earlier != null) {
            throw new InvalidConfigException(keyPath, "header " + earlier + " is already given here"
                    + " (header names ignore case)");
        }
    }

    private static Template template(Object v, String keyPath) {
        if (v == null) {
            throw new InvalidConfigException(keyPath, "expected a text value, got nothing (write '' for an empty value)");
        }
        if (!(v instanceof String || v instanceof Number || v instanceof Boolean)) {
            throw new InvalidConfigException(keyPath, "expected a text value, got " + (v instanceof Map ? "a mapping" : "a list"));
        }
        String text = v.toString();
        HeaderSyntax.checkValue(text, keyPath);
        return Template.parse(text, keyPath);
    }

    /** Applies the edits to {@code headers}; variables come from the session and the given values. */
    void apply(Headers headers, Session session, String clientIp, String host) {
        for (String name : remove) {
            headers.remove(name);
        }
        for (int i = 0; i < setNames.length; i++) {
            headers.set(setNames[i], setValues[i].expand(session, clientIp, host));
        }
        for (int i = 0; i < addNames.length; i++) {
            headers.add(addNames[i], addValues[i].expand(session, clientIp, host));
        }
    }

    boolean isEmpty() {
        return remove.length == 0 && setNames.length == 0 && addNames.length == 0;
    }

    /** Whether any value uses {@code v}. */
    boolean uses(Variable v) {
        return (needs & v.bit()) != 0;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("remove ").append(List.of(remove)).append(", set {");
        for (int i = 0; i < setNames.length; i++) {
            b.append(i == 0 ? "" : ", ").append(setNames[i]).append(": ").append(setValues[i]);
        }
        b.append("}, add {");
        for (int i = 0; i < addNames.length; i++) {
            b.append(i == 0 ? "" : ", ").append(addNames[i]).append(": ").append(addValues[i]);
        }
        return b.append('}').toString();
    }
}
