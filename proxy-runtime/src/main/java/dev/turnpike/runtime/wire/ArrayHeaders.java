package dev.turnpike.runtime.wire;

import io.netty.handler.codec.DateFormatter;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.util.AsciiString;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * The header fields of one decoded head, in arrival order, in one array of entries searched from
 * the front.
 *
 * <p>Why not Netty's {@code DefaultHttpHeaders}: a head has a handful of fields and is looked up
 * by a few dozen names over its life. The hash table costs a 16-slot bucket array and a linked
 * entry per field, a quarter of what a proxied request allocated, and each lookup walks a bucket
 * and a linked list anyway. Here a lookup compares the cached case-insensitive hash of each name,
 * then the name only on a hash match; a head at the size limit (a few hundred fields) still costs
 * less to search than to parse.
 *
 * <p>Names compare case-insensitively (RFC 9110 §5.1); values are kept as given, as
 * {@link CharSequence}s, so the decoder's {@link AsciiString}s over the head's bytes are never
 * copied. Nothing is validated here: the decoder held every byte to the grammar, and what plugins
 * set is checked where they set it. Not thread-safe, like the head it belongs to.
 */
public final class ArrayHeaders extends HttpHeaders {

    /** Makes these for the decoders (and anything that builds a head the same way). */
    public static final HttpHeadersFactory FACTORY = new HttpHeadersFactory() {
        @Override
        public HttpHeaders newHeaders() {
            return new ArrayHeaders();
        }

        @Override
        public HttpHeaders newEmptyHeaders() {
            return new ArrayHeaders();
        }
    };

    private static final int INITIAL = 12;

    private Field[] fields = new Field[INITIAL];
    private int size;

    /** One field line; handed out as is by {@link #iteratorCharSequence}, so read-only. */
    private static final class Field implements Map.Entry<CharSequence, CharSequence> {
        final CharSequence name;
        final int hash;
        final CharSequence value;

        Field(CharSequence name, int hash, CharSequence value) {
            this.name = name;
            this.hash = hash;
            this.value = value;
        }

        @Override
        public CharSequence getKey() {
            return name;
        }

        @Override
        public CharSequence getValue() {
            return value;
        }

        @Override
        public CharSequence setValue(CharSequence value) {
            throw new UnsupportedOperationException("header fields are replaced with set(), not edited in place");
        }

        @Override
        public String toString() {
            return name + "=" + value;
        }
    }

    private static int hash(CharSequence name) {
        return AsciiString.hashCode(name); // case-insensitive, and cached by an AsciiString
    }

    private int indexOf(CharSequence name, int from) {
        int h = hash(name);
        Field[] f = fields;
        for (int i = from; i < size; i++) {
            if (f[i].hash == h && AsciiString.contentEqualsIgnoreCase(f[i].name, name)) {
                return i;
            }
        }
        return -1;
    }

    private void append(CharSequence name, CharSequence value) {
        if (size == fields.length) {
            fields = Arrays.copyOf(fields, size * 2);
        }
        fields[size++] = new Field(name, hash(name), value);
    }

    private static CharSequence text(Object value) {
        if (value instanceof CharSequence) {
            return (CharSequence) value;
        }
        if (value instanceof Date) {
            return DateFormatter.format((Date) value);
        }
        if (value == null) {
            throw new NullPointerException("header value");
        }
        return value.toString();
    }

    // --- reads ---

    @Override
    public String get(String name) {
        return get((CharSequence) name);
    }

    @Override
    public String get(CharSequence name) {
        int i = indexOf(name, 0);
        return i < 0 ? null : fields[i].value.toString();
    }

    /** The first value of {@code name} as it is stored (no String made), or null. */
    public CharSequence getRaw(CharSequence name) {
        int i = indexOf(name, 0);
        return i < 0 ? null : fields[i].value;
    }

    @Override
    public Integer getInt(CharSequence name) {
        String v = get(name);
        if (v == null) {
            return null;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    @Override
    public int getInt(CharSequence name, int defaultValue) {
        Integer v = getInt(name);
        return v == null ? defaultValue : v;
    }

    @Override
    public Short getShort(CharSequence name) {
        Integer v = getInt(name);
        return v == null || v < Short.MIN_VALUE || v > Short.MAX_VALUE ? null : v.shortValue();
    }

    @Override
    public short getShort(CharSequence name, short defaultValue) {
        Short v = getShort(name);
        return v == null ? defaultValue : v;
    }

    @Override
    public Long getTimeMillis(CharSequence name) {
        String v = get(name);
        Date d = v == null ? null : DateFormatter.parseHttpDate(v);
        return d == null ? null : d.getTime();
    }

    @Override
    public long getTimeMillis(CharSequence name, long defaultValue) {
        Long v = getTimeMillis(name);
        return v == null ? defaultValue : v;
    }

    @Override
    public List<String> getAll(String name) {
        return getAll((CharSequence) name);
    }

    @Override
    public List<String> getAll(CharSequence name) {
        List<String> all = new ArrayList<>(2);
        for (int i = indexOf(name, 0); i >= 0; i = indexOf(name, i + 1)) {
            all.add(fields[i].value.toString());
        }
        return all;
    }

    @Override
    public Iterator<String> valueStringIterator(CharSequence name) {
        return getAll(name).iterator();
    }

    @Override
    public Iterator<? extends CharSequence> valueCharSequenceIterator(CharSequence name) {
        List<CharSequence> all = new ArrayList<>(2);
        for (int i = indexOf(name, 0); i >= 0; i = indexOf(name, i + 1)) {
            all.add(fields[i].value);
        }
        return all.iterator();
    }

    @Override
    public boolean contains(String name) {
        return indexOf(name, 0) >= 0;
    }

    @Override
    public boolean contains(CharSequence name) {
        return indexOf(name, 0) >= 0;
    }

    @Override
    public boolean isEmpty() {
        return size == 0;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Set<String> names() {
        // One entry per name, case-insensitively, in order of first appearance (as Netty's does).
        Set<String> names = new LinkedHashSet<>();
        for (int i = 0; i < size; i++) {
            if (indexOf(fields[i].name, 0) == i) {
                names.add(fields[i].name.toString());
            }
        }
        return names;
    }

    @Override
    public List<Map.Entry<String, String>> entries() {
        List<Map.Entry<String, String>> all = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            all.add(new AbstractMap.SimpleImmutableEntry<>(fields[i].name.toString(), fields[i].value.toString()));
        }
        return all;
    }

    @Override
    public Iterator<Map.Entry<String, String>> iterator() {
        return entries().iterator();
    }

    @Override
    public Iterator<Map.Entry<CharSequence, CharSequence>> iteratorCharSequence() {
        return new Iterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < size;
            }

            @Override
            public Map.Entry<CharSequence, CharSequence> next() {
                if (next >= size) {
                    throw new NoSuchElementException();
                }
                return fields[next++];
            }
        };
    }

    // --- writes ---

    @Override
    public HttpHeaders add(String name, Object value) {
        return add((CharSequence) name, value);
    }

    @Override
    public HttpHeaders add(CharSequence name, Object value) {
        append(name, text(value));
        return this;
    }

    @Override
    public HttpHeaders add(String name, Iterable<?> values) {
        return add((CharSequence) name, values);
    }

    @Override
    public HttpHeaders add(CharSequence name, Iterable<?> values) {
        for (Object v : values) {
            append(name, text(v));
        }
        return this;
    }

    @Override
    public HttpHeaders addInt(CharSequence name, int value) {
        return add(name, Integer.toString(value));
    }

    @Override
    public HttpHeaders addShort(CharSequence name, short value) {
        return add(name, Short.toString(value));
    }

    @Override
    public HttpHeaders set(String name, Object value) {
        return set((CharSequence) name, value);
    }

    @Override
    public HttpHeaders set(CharSequence name, Object value) {
        CharSequence v = text(value); // before the removal: a bad value leaves the head as it was
        remove(name);
        append(name, v);
        return this;
    }

    @Override
    public HttpHeaders set(String name, Iterable<?> values) {
        return set((CharSequence) name, values);
    }

    @Override
    public HttpHeaders set(CharSequence name, Iterable<?> values) {
        List<CharSequence> vs = new ArrayList<>();
        for (Object v : values) {
            vs.add(text(v));
        }
        remove(name);
        for (CharSequence v : vs) {
            append(name, v);
        }
        return this;
    }

    @Override
    public HttpHeaders setInt(CharSequence name, int value) {
        return set(name, Integer.toString(value));
    }

    @Override
    public HttpHeaders setShort(CharSequence name, short value) {
        return set(name, Short.toString(value));
    }

    @Override
    public HttpHeaders remove(String name) {
        return remove((CharSequence) name);
    }

    @Override
    public HttpHeaders remove(CharSequence name) {
        int i = indexOf(name, 0);
        if (i < 0) {
            return this;
        }
        // Compact in place, keeping the order of what stays.
        int h = fields[i].hash;
        int kept = i;
        for (int j = i + 1; j < size; j++) {
            Field f = fields[j];
            if (f.hash != h || !AsciiString.contentEqualsIgnoreCase(f.name, name)) {
                fields[kept++] = f;
            }
        }
        Arrays.fill(fields, kept, size, null);
        size = kept;
        return this;
    }

    @Override
    public HttpHeaders clear() {
        Arrays.fill(fields, 0, size, null);
        size = 0;
        return this;
    }

    @Override
    public HttpHeaders copy() {
        ArrayHeaders c = new ArrayHeaders();
        c.fields = Arrays.copyOf(fields, Math.max(INITIAL, size));
        c.size = size;
        return c; // fields are immutable, so they are shared
    }
}
