package dev.turnpike.runtime.http;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.turnpike.api.ErrorKind;
import dev.turnpike.api.ProxyPlugin;
import dev.turnpike.api.Session;
import dev.turnpike.api.UpstreamFailure;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A plugin that only watches: it records every failure hook call (asking for no retry) and how
 * each request ended, as logging saw it. Put it in a chain to see whom the runtime blamed.
 */
final class Witness implements ProxyPlugin<Void> {

    /** How one request ended. */
    record Seen(String path, int status, ErrorKind kind, String message, int upstreamStatus, long bytesOut,
                String clientHeaders, String upstreamHeaders) {
    }

    /** Every failure hook call, as "hook kind". */
    final List<String> hooks = new CopyOnWriteArrayList<>();
    private final LinkedBlockingQueue<Seen> logged = new LinkedBlockingQueue<>();

    @Override
    public boolean failToConnect(Session session, Void ctx, UpstreamFailure failure) {
        hooks.add("fail_to_connect " + failure.kind());
        return false;
    }

    @Override
    public boolean errorWhileProxying(Session session, Void ctx, UpstreamFailure failure) {
        hooks.add("error_while_proxying " + failure.kind());
        return false;
    }

    @Override
    public void logging(Session s, Void ctx) {
        logged.add(new Seen(s.request().path(), s.status(), s.error() == null ? null : s.error().kind(),
                s.error() == null ? null : s.error().message(), s.upstreamStatus(), s.responseBodyBytes(),
                s.request().headers().toString(), s.upstreamRequest() == null ? null : s.upstreamRequest().headers().toString()));
    }

    /** The next request's end; fails when logging does not run within 30 s. */
    Seen next() throws InterruptedException {
        Seen s = logged.poll(30, TimeUnit.SECONDS);
        assertNotNull(s, "logging did not run");
        return s;
    }
}
