package dev.turnpike.plugins.ratelimit;

import dev.turnpike.api.EventLoopExecutor;
import dev.turnpike.api.Headers;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.Peer;
import dev.turnpike.api.RequestHead;
import dev.turnpike.api.ResponseHead;
import dev.turnpike.api.Session;
import dev.turnpike.api.net.IpLiteral;
import java.net.InetSocketAddress;

/**
 * A request as the phases see it, reduced to what this plugin reads: the socket peer, the path and
 * the request headers; and a response head for {@code response_filter}. Mutable, so one instance
 * can stand for a million requests. Not thread-safe: one per thread.
 */
final class FakeSession implements Session {

    private InetSocketAddress client;
    private String uri = "/";
    private FakeHeaders requestHeaders = new FakeHeaders();
    private FakeResponse response;

    /** A GET / from {@code ip} (an IP literal). */
    static FakeSession from(String ip) {
        return new FakeSession().client(ip);
    }

    FakeSession client(String ip) {
        client = new InetSocketAddress(IpLiteral.parse(ip), 40_000);
        return this;
    }

    FakeSession path(String uri) {
        this.uri = uri;
        return this;
    }

    FakeSession header(String name, String value) {
        requestHeaders.add(name, value);
        return this;
    }

    /** Drops the request headers (for reuse). */
    FakeSession clearHeaders() {
        requestHeaders = new FakeHeaders();
        return this;
    }

    /** Gives the session a backend response (200), as when response_filter runs. */
    FakeResponse respond() {
        response = new FakeResponse();
        return response;
    }

    static final class FakeResponse implements ResponseHead {
        private int status = 200;
        private final FakeHeaders headers = new FakeHeaders();

        @Override
        public int status() {
            return status;
        }

        @Override
        public void setStatus(int status) {
            this.status = status;
        }

        @Override
        public Headers headers() {
            return headers;
        }

        @Override
        public long bodyLength() {
            return -1;
        }

        @Override
        public void setBodyLength(long length) {
            throw new UnsupportedOperationException();
        }
    }

    private final RequestHead request = new RequestHead() {
        @Override
        public String method() {
            return "GET";
        }

        @Override
        public void setMethod(String method) {
            throw new UnsupportedOperationException();
        }

        @Override
        public String uri() {
            return uri;
        }

        @Override
        public void setUri(String u) {
            uri = u;
        }

        @Override
        public String path() {
            int q = uri.indexOf('?');
            return q < 0 ? uri : uri.substring(0, q);
        }

        @Override
        public String query() {
            int q = uri.indexOf('?');
            return q < 0 ? null : uri.substring(q + 1);
        }

        @Override
        public long bodyLength() {
            return 0;
        }

        @Override
        public void setBodyLength(long length) {
            throw new UnsupportedOperationException();
        }

        @Override
        public String version() {
            return "HTTP/1.1";
        }

        @Override
        public Headers headers() {
            return requestHeaders;
        }
    };

    @Override
    public String requestId() {
        return "test";
    }

    @Override
    public InetSocketAddress clientAddress() {
        return client;
    }

    @Override
    public InetSocketAddress localAddress() {
        return new InetSocketAddress(IpLiteral.parse("127.0.0.1"), 8080);
    }

    @Override
    public dev.turnpike.api.TlsInfo tls() {
        return null;
    }

    @Override
    public long connectionRequestIndex() {
        return 0;
    }

    @Override
    public RequestHead request() {
        return request;
    }

    @Override
    public ResponseHead response() {
        return response;
    }

    @Override
    public Peer peer() {
        return null;
    }

    @Override
    public EventLoopExecutor executor() {
        throw new UnsupportedOperationException("the rate limiter needs no executor");
    }

    @Override
    public long startNanos() {
        return 0;
    }

    @Override
    public int status() {
        return response == null ? 0 : response.status();
    }

    @Override
    public ProxyError error() {
        return null;
    }

    @Override
    public RequestHead upstreamRequest() {
        return null;
    }

    @Override
    public String respondedBy() {
        return null;
    }

    @Override
    public long requestBodyBytes() {
        return 0;
    }

    @Override
    public int upstreamStatus() {
        return 0;
    }

    @Override
    public int upstreamAttempts() {
        return 0;
    }

    @Override
    public long responseBodyBytes() {
        return 0;
    }
}
