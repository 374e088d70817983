package dev.turnpike.bench;

import dev.turnpike.runtime.wire.RequestDecoder;
import dev.turnpike.runtime.wire.ResponseDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * Not a test: a rough comparison of what decoding one message head costs with Netty's HTTP/1
 * decoders (configured as the proxy had them) and with ours, on the same embedded channel, for the
 * architecture notes. Run with
 * {@code java -cp proxy-runtime/target/test-classes:proxy-runtime/target/classes:<netty> dev.turnpike.bench.WireDecodeBench}.
 */
public final class WireDecodeBench {

    private static final String WRK = "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n";
    private static final String BROWSER = "GET /assets/app.js?v=123 HTTP/1.1\r\nHost: www.example.com\r\n"
            + "User-Agent: Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/120.0\r\n"
            + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
            + "Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\n"
            + "Referer: https://www.example.com/\r\nConnection: keep-alive\r\n"
            + "Cookie: session=abcdef0123456789; theme=dark; lang=en\r\nSec-Fetch-Dest: script\r\n"
            + "Sec-Fetch-Mode: no-cors\r\nSec-Fetch-Site: same-origin\r\n\r\n";
    private static final String NGINX = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Tue, 01 Dec 2026 10:00:00 GMT\r\n"
            + "Content-Type: text/html\r\nContent-Length: 64\r\nLast-Modified: Tue, 01 Dec 2026 09:00:00 GMT\r\n"
            + "Connection: keep-alive\r\nETag: \"abc-40\"\r\nAccept-Ranges: bytes\r\n\r\n" + "x".repeat(64);

    private WireDecodeBench() {
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        HttpDecoderConfig netty = new HttpDecoderConfig().setMaxInitialLineLength(8256).setMaxHeaderSize(16384)
                .setMaxChunkSize(65536).setAllowDuplicateContentLengths(false).setUseRfc9112TransferEncoding(true);
        for (int r = 0; r < rounds; r++) {
            report("request wrk     netty", WRK, () -> new HttpRequestDecoder(netty));
            report("request wrk     ours ", WRK, () -> new RequestDecoder(8256, 16384, 65536));
            report("request browser netty", BROWSER, () -> new HttpRequestDecoder(netty));
            report("request browser ours ", BROWSER, () -> new RequestDecoder(8256, 16384, 65536));
            report("response nginx  netty", NGINX, () -> new HttpResponseDecoder(netty));
            report("response nginx  ours ", NGINX, () -> new ResponseDecoder(65536, 65536));
        }
    }

    private static void report(String label, String message, Supplier<ChannelHandler> decoder) {
        EmbeddedChannel ch = new EmbeddedChannel(decoder.get());
        ByteBuf bytes = PooledByteBufAllocator.DEFAULT.directBuffer().writeBytes(message.getBytes(StandardCharsets.ISO_8859_1));
        int n = 2_000_000;
        long sink = 0;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            ch.writeInbound(bytes.retainedDuplicate());
            for (Object m; (m = ch.readInbound()) != null; ) {
                sink += m.hashCode() & 1;
                ReferenceCountUtil.release(m);
            }
        }
        long ns = System.nanoTime() - t0;
        bytes.release();
        ch.finishAndReleaseAll();
        System.out.printf("%s %7.1f ns/message (%d)%n", label, (double) ns / n, sink & 1);
    }
}
