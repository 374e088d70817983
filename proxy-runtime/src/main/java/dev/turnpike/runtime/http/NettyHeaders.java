package dev.turnpike.runtime.http;

import dev.turnpike.api.Headers;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@link Headers} over Netty's {@link HttpHeaders}, without copying. Netty's default headers
 * validate names and values on every set/add, which is what keeps a plugin from splitting a header.
 */
final class NettyHeaders implements Headers {

    private final HttpHeaders headers;

    NettyHeaders(HttpHeaders headers) {
        this.headers = headers;
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
        HeaderRules.checkValue(name, value);
        headers.set(name, value);
        return this;
    }

    @Override
    public Headers add(String name, String value) {
        HeaderRules.checkValue(name, value);
        headers.add(name, value);
        return this;
    }

    @Override
    public Headers remove(String name) {
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
        return headers.iteratorAsString();
    }

    @Override
    public String toString() {
        return headers.toString();
    }
}
