package dev.turnpike.runtime.exchange;

import dev.turnpike.api.Headers;
import dev.turnpike.runtime.wire.HeadWriter;
import dev.turnpike.api.MessageSyntax;
import dev.turnpike.runtime.wire.HopByHop;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The upstream head's headers: the client's headers, read through, plus the names a plugin set,
 * added to or removed, kept on the side. An attempt's edits therefore cost only themselves (the
 * client's header set is never copied), and a retry starts from the client's headers by starting a
 * new overlay. Written to the wire by {@link #writeTo}, which skips the framing headers: those are
 * the runtime's.
 *
 * <p>The overrides are a short list searched in order: a chain edits a handful of names, so a
 * linear scan beats hashing.
 */
final class OverlayHeaders implements Headers {

    private final HttpHeaders base;
    private final NettyHeaders.Head owner;
    /** Names a plugin touched, with their values now; an empty list means removed. */
    private ArrayList<Edit> overrides;

    OverlayHeaders(HttpHeaders base, NettyHeaders.Head owner) {
        this.base = base;
        this.owner = owner;
    }

    private static final class Edit {
        final String name;
        final ArrayList<String> values;

        Edit(String name, ArrayList<String> values) {
            this.name = name;
            this.values = values;
        }
    }

    private Edit find(CharSequence name) {
        if (overrides != null) {
            for (int i = 0, n = overrides.size(); i < n; i++) {
                Edit o = overrides.get(i);
                if (AsciiString.contentEqualsIgnoreCase(o.name, name)) {
                    return o;
                }
            }
        }
        return null;
    }

    /** The override for {@code name}, made (holding the client's values) if there is none yet. */
    private Edit touch(String name) {
        Edit o = find(name);
        if (o == null) {
            if (overrides == null) {
                overrides = new ArrayList<>(4);
            }
            o = new Edit(name, new ArrayList<>(base.getAll(name)));
            overrides.add(o);
        }
        return o;
    }

    @Override
    public String get(String name) {
        Edit o = find(name);
        if (o == null) {
            return base.get(name);
        }
        return o.values.isEmpty() ? null : o.values.get(0);
    }

    @Override
    public List<String> getAll(String name) {
        Edit o = find(name);
        return o == null ? base.getAll(name) : List.copyOf(o.values);
    }

    @Override
    public boolean contains(String name) {
        return has(name);
    }

    @Override
    public Headers set(String name, String value) {
        owner.checkEditable();
        setUnchecked(name, value);
        return this;
    }

    /** Whether {@code name} is present, for the runtime's own checks (a constant name hashes once). */
    boolean has(CharSequence name) {
        Edit o = find(name);
        return o == null ? base.contains(name) : !o.values.isEmpty();
    }

    /** The runtime's own edit (the Host it adds for an HTTP/1.0 client), allowed after the phase. */
    void setUnchecked(String name, String value) {
        MessageSyntax.checkName(name);
        MessageSyntax.checkValue(name, value);
        Edit o = find(name);
        if (o == null) {
            if (overrides == null) {
                overrides = new ArrayList<>(4);
            }
            overrides.add(new Edit(name, new ArrayList<>(List.of(value))));
        } else {
            o.values.clear();
            o.values.add(value);
        }
    }

    @Override
    public Headers add(String name, String value) {
        owner.checkEditable();
        MessageSyntax.checkName(name);
        MessageSyntax.checkValue(name, value);
        touch(name).values.add(value);
        return this;
    }

    @Override
    public Headers remove(String name) {
        owner.checkEditable();
        touch(name).values.clear();
        return this;
    }

    @Override
    public Set<String> names() {
        Set<String> names = new LinkedHashSet<>();
        for (Map.Entry<String, String> e : this) {
            names.add(e.getKey());
        }
        return names;
    }

    @Override
    public int size() {
        if (overrides == null) {
            return base.size();
        }
        int n = 0;
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = base.iteratorCharSequence(); it.hasNext(); ) {
            if (find(it.next().getKey()) == null) {
                n++;
            }
        }
        for (Edit o : overrides) {
            n += o.values.size();
        }
        return n;
    }

    @Override
    public Iterator<Map.Entry<String, String>> iterator() {
        if (overrides == null) {
            return NettyHeaders.readOnly(base.iteratorAsString());
        }
        List<Map.Entry<String, String>> all = new ArrayList<>();
        for (Iterator<Map.Entry<String, String>> it = base.iteratorAsString(); it.hasNext(); ) {
            Map.Entry<String, String> e = it.next();
            if (find(e.getKey()) == null) {
                all.add(new AbstractMap.SimpleImmutableEntry<>(e.getKey(), e.getValue())); // Netty's writes through
            }
        }
        for (Edit o : overrides) {
            for (String v : o.values) {
                all.add(new AbstractMap.SimpleImmutableEntry<>(o.name, v));
            }
        }
        return all.iterator();
    }

    /**
     * Writes every header line but the framing ones ({@code Content-Length}, {@code Transfer-Encoding}),
     * which the caller writes as the runtime frames the body: the client's lines that no plugin
     * touched, in their order, then the touched names with their values now. A hop-by-hop name a
     * plugin set is not sent: the connection's headers are the runtime's (the client's were stripped
     * before any phase ran).
     */
    void writeTo(ByteBuf out) {
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = base.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            CharSequence name = e.getKey();
            if (!isFraming(name) && find(name) == null) {
                HeadWriter.header(out, name, e.getValue());
            }
        }
        if (overrides != null) {
            for (Edit o : overrides) {
                if (!isFraming(o.name) && !HopByHop.isHopByHop(o.name)) {
                    for (String v : o.values) {
                        HeadWriter.header(out, o.name, v);
                    }
                }
            }
        }
    }

    private static boolean isFraming(CharSequence name) {
        return AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.CONTENT_LENGTH)
                || AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.TRANSFER_ENCODING);
    }

    @Override
    public String toString() {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : this) {
            m.computeIfAbsent(e.getKey().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(e.getValue());
        }
        return m.toString();
    }
}
