package dev.turnpike.runtime.exchange;

import dev.turnpike.api.EventLoopExecutor;
import dev.turnpike.api.Peer;
import dev.turnpike.api.ProxyError;
import dev.turnpike.api.RequestHead;
import dev.turnpike.api.ResponseHead;
import dev.turnpike.api.Session;
import io.netty.handler.codec.http.HttpResponse;
import java.net.InetSocketAddress;

/**
 * The request as plugins see it: a read-through view of the request's state, and nothing else (no
 * Netty listener, no engine callback), so a plugin holding it can do no more than the API says.
 */
final class SessionView implements Session {

    private final ProxyRequest request;
    /** The view of a head the proxy wrote itself, made when first asked for. */
    private ResponseView local;

    SessionView(ProxyRequest request) {
        this.request = request;
    }

    @Override
    public String requestId() {
        return request.requestId();
    }

    @Override
    public InetSocketAddress clientAddress() {
        return (InetSocketAddress) request.downstream().channel().remoteAddress();
    }

    @Override
    public InetSocketAddress localAddress() {
        return (InetSocketAddress) request.downstream().channel().localAddress();
    }

    @Override
    public boolean isTls() {
        return false; // the listener speaks plain HTTP only; TLS termination is not built yet
    }

    @Override
    public long connectionRequestIndex() {
        return request.index();
    }

    @Override
    public RequestHead request() {
        return request.clientHead();
    }

    @Override
    public RequestHead upstreamRequest() {
        return request.upstreamHead();
    }

    @Override
    public ResponseHead response() {
        ResponseView relayed = request.relay().view();
        HttpResponse sent = request.writer().head();
        if (relayed != null && (sent == null || sent == relayed.netty())) {
            return relayed; // the backend's head: in response_filter, and after it went out
        }
        if (sent == null) {
            return null;
        }
        if (local == null || local.netty() != sent) {
            local = new ResponseView(sent, request.writer().bodyBytes());
        }
        return local;
    }

    @Override
    public Peer peer() {
        return request.peer();
    }

    @Override
    public EventLoopExecutor executor() {
        return request.downstream().loop().executor();
    }

    @Override
    public long startNanos() {
        return request.startNanos();
    }

    @Override
    public int status() {
        return request.writer().status();
    }

    @Override
    public ProxyError error() {
        return request.error();
    }

    @Override
    public String respondedBy() {
        return request.respondedBy();
    }

    @Override
    public int upstreamStatus() {
        return request.upstreamStatus();
    }

    @Override
    public int upstreamAttempts() {
        return request.attempts();
    }

    @Override
    public long requestBodyBytes() {
        return request.body().receivedBytes();
    }

    @Override
    public long responseBodyBytes() {
        return request.writer().bodyBytes();
    }

    @Override
    public String toString() {
        return request.toString();
    }
}
