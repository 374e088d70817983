package dev.turnpike.runtime.exchange;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * A plugin's edits to a decoded head: the strict decoder hands up headers Netty does not validate,
 * so the names and values a plugin writes are checked here or nowhere.
 */
class NettyHeadersTest {

    private static HttpHeaders decoded() {
        EmbeddedChannel ch = new EmbeddedChannel(new dev.turnpike.runtime.wire.RequestDecoder(8192, 8192, 65536));
        ch.writeInbound(Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: h\r\n\r\n", StandardCharsets.US_ASCII));
        HttpRequest r = ch.readInbound();
        ch.finishAndReleaseAll();
        return r.headers();
    }

    private static NettyHeaders editable(HttpHeaders h) {
        return new NettyHeaders(h, () -> { });
    }

    @ParameterizedTest
    @ValueSource(strings = {"X-A\r\nX-Evil", "X A", "X:A", "", "X-\u0000"})
    void aNameThatIsNotATokenIsRefused(String name) {
        HttpHeaders h = decoded();
        NettyHeaders headers = editable(h);
        assertThrows(IllegalArgumentException.class, () -> headers.set(name, "v"));
        assertThrows(IllegalArgumentException.class, () -> headers.add(name, "v"));
        assertFalse(h.names().stream().anyMatch(n -> !n.equalsIgnoreCase("host")), "nothing was added");
    }

    @Test
    void aValueWithCrOrLfIsRefusedAndAGoodEditGoesIn() {
        HttpHeaders h = decoded();
        NettyHeaders headers = editable(h);
        assertThrows(IllegalArgumentException.class, () -> headers.set("X-A", "a\r\nX-Evil: 1"));
        headers.set("X-A", "fine");
        assertEquals("fine", h.get("x-a"));
    }
}
