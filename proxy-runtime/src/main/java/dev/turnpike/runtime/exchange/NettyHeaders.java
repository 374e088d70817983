package dev.turnpike.runtime.exchange;

import dev.turnpike.api.Headers;
import dev.turnpike.api.MessageSyntax;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.AbstractMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@link Headers} over Netty's {@link HttpHeaders}, without copying. {@link MessageSyntax} checks
 * every name and value a plugin sets or adds (the decoded headers underneath do not validate),
 * which is what keeps a plugin from splitting a header; the owner's {@link Head} says when edits
 * are allowed at all.
 */
final class NettyHeaders implements Headers {

    private final HttpHeaders headers;
    private final Head owner;

    NettyHeaders(HttpHeaders headers, Head owner) {
        this.headers = headers;
        this.owner = owner;
    }

    @Override
    public String get(String name) {
        return headers.get(name);
    }

    @Override
    public List<String> getAll(String name) {
        return headers.getAll(name);
    }

    @Override
    public boolean contains(String name) {
        return headers.contains(name);
    }

    @Override
    public Headers set(String name, String value) {
        owner.checkEditable();
        // The headers were decoded without Netty's validation (the strict decoder checked them), so
        // a plugin's name is held to the token rule here: nothing below would refuse a CRLF in it.
        MessageSyntax.checkName(name);
        MessageSyntax.checkValue(name, value);
        headers.set(name, value);
        return this;
    }

    @Override
    public Headers add(String name, String value) {
        owner.checkEditable();
        MessageSyntax.checkName(name);
        MessageSyntax.checkValue(name, value);
        headers.add(name, value);
        return this;
    }

    @Override
    public Headers remove(String name) {
        owner.checkEditable();
        headers.remove(name);
        return this;
    }

    @Override
    public Set<String> names() {
        return headers.names();
    }

    @Override
    public int size() {
        return headers.size();
    }

    @Override
    public Iterator<Map.Entry<String, String>> iterator() {
        return readOnly(headers.iteratorAsString());
    }

    /**
     * Netty's entries write through on {@code setValue}, unchecked: handed to a plugin, one would
     * get around the value check (a CR/LF could split the message) and the phase's edit rules, and,
     * through an {@link OverlayHeaders}, change the client's headers. The entries handed out are
     * immutable copies.
     */
    static Iterator<Map.Entry<String, String>> readOnly(Iterator<Map.Entry<String, String>> entries) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return entries.hasNext();
            }

            @Override
            public Map.Entry<String, String> next() {
                Map.Entry<String, String> e = entries.next();
                return new AbstractMap.SimpleImmutableEntry<>(e.getKey(), e.getValue());
            }
        };
    }

    @Override
    public String toString() {
        return headers.toString();
    }

    /** A head that is editable only in some phases. */
    interface Head {
        /** @throws IllegalStateException when the head may not be edited now */
        void checkEditable();
    }
}
