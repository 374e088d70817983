package dev.turnpike.runtime.tls;

import dev.turnpike.api.config.InvalidConfigException;
import dev.turnpike.runtime.config.ServerTlsSettings;
import dev.turnpike.runtime.config.ServerTlsSettings.CertificateFiles;
import dev.turnpike.runtime.metrics.ProxyMetrics;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.Mapping;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS listener's certificates, in force and on disk. Handshakes ask it for a context by SNI name
 * ({@link #map}); it holds one {@link ServerContexts} generation at a time and replaces it when the
 * files change (polled every {@value #POLL_MILLIS} ms) or on SIGHUP ({@link #reload}).
 *
 * <p>A reload reads and checks every file and builds every context beside the ones in force; only
 * when all of that succeeded does the new generation take over, so a bad replacement (a key that is
 * not the certificate's, an expired certificate, half a file) is refused with its file and reason
 * and the old certificates keep serving. Connections already made keep their context; the old
 * generation is released once every event loop has passed the swap, so no handshake can pick up a
 * context in the middle of being let go.
 *
 * <p>Reading files and building contexts happens on the caller's thread at start and on this
 * class's own watcher thread after that, never on an event loop.
 */
public final class ServerTls implements Mapping<String, SslContext>, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ServerTls.class);
    static final long POLL_MILLIS = 500;

    private final ServerTlsSettings settings;
    private final SslProvider provider;
    private final ProxyMetrics metrics;
    private final List<Path> files;
    private volatile ServerContexts current;
    private volatile EventExecutorGroup loops;
    private ScheduledExecutorService watcher;
    private FileStamps inForce;
    private FileStamps lastSeen;
    private boolean closed;

    private ServerTls(ServerTlsSettings settings, SslProvider provider, ProxyMetrics metrics, ServerContexts first,
                      FileStamps stamps) {
        this.settings = settings;
        this.provider = provider;
        this.metrics = metrics;
        this.files = files(settings);
        this.current = first;
        this.inForce = stamps;
        this.lastSeen = stamps;
    }

    /**
     * Reads the certificates of {@code server.tls} and builds their contexts.
     *
     * @throws InvalidConfigException naming the key of the file at fault and why
     */
    public static ServerTls load(ServerTlsSettings settings, SslProvider provider, ProxyMetrics metrics) {
        FileStamps stamps = FileStamps.of(files(settings));
        ServerContexts first;
        try {
            first = build(settings, provider);
        } catch (TlsFileException e) {
            throw new InvalidConfigException(keyOf(settings, e.file()), e.getMessage());
        } catch (SSLException e) {
            throw new InvalidConfigException("server.tls.certificates", "cannot build a TLS context: " + e.getMessage());
        }
        ServerTls tls = new ServerTls(settings, provider, metrics, first, stamps);
        if (settings.clientAuth() == ServerTlsSettings.ClientAuthMode.NONE && settings.clientCa() != null) {
            log.warn("server.tls.client_auth.ca ({}) has no effect with mode none: no client is asked for a certificate;"
                    + " set mode: optional or require to use it", settings.clientCa());
        }
        tls.inForceNow(first, "loaded");
        return tls;
    }

    public ServerTlsSettings settings() {
        return settings;
    }

    /** The context for a handshake with this SNI name; called on event loops. */
    @Override
    public SslContext map(String serverName) {
        return current.select(serverName);
    }

    /**
     * From now on, a retired generation waits for these loops (the ones handshakes run on) before it
     * is released; and the files are watched.
     */
    public synchronized void start(EventExecutorGroup handshakeLoops) {
        this.loops = handshakeLoops;
        if (watcher == null && !closed) {
            watcher = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "turnpike-tls-watch");
                t.setDaemon(true);
                return t;
            });
            watcher.scheduleWithFixedDelay(this::poll, POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /** Reloads the certificate files now (SIGHUP), on the watcher thread when there is one. */
    public void reload(String why) {
        ScheduledExecutorService w;
        synchronized (this) {
            w = watcher;
        }
        if (w == null) {
            reloadNow(why);
        } else {
            w.execute(() -> reloadNow(why));
        }
    }

    /**
     * One look at the files. A change is acted on once the files have held still for a poll, so a
     * certificate and key copied one after the other are read as a pair, not as a mismatch.
     */
    private void poll() {
        try {
            FileStamps now = FileStamps.of(files);
            boolean settled = now.same(lastSeen);
            lastSeen = now;
            if (settled && !now.same(inForce)) {
                reloadNow("certificate files changed");
            }
        } catch (RuntimeException e) {
            log.error("watching the certificate files failed", e);
        }
    }

    /** @return whether the new certificates are in force */
    synchronized boolean reloadNow(String why) {
        if (closed) {
            return false;
        }
        FileStamps stamps = FileStamps.of(files);
        ServerContexts next;
        try {
            next = build(settings, provider);
        } catch (TlsFileException e) {
            inForce = stamps; // the same bad files are not tried again until they change
            metrics.reloaded("certificates", false);
            log.error("TLS certificates ({}): {} refused: {}; the certificates in force keep serving", why,
                    keyOf(settings, e.file()), e.getMessage());
            return false;
        } catch (SSLException | RuntimeException e) {
            inForce = stamps;
            metrics.reloaded("certificates", false);
            log.error("TLS certificates ({}): cannot build a context: {}; the certificates in force keep serving", why,
                    e.toString());
            return false;
        }
        ServerContexts old = current;
        current = next;
        inForce = stamps;
        metrics.reloaded("certificates", true);
        inForceNow(next, "reloaded (" + why + ")");
        retire(old);
        return true;
    }

    private void inForceNow(ServerContexts contexts, String what) {
        Instant now = Instant.now();
        List<String> labels = new ArrayList<>();
        for (CertificatePair p : contexts.pairs()) {
            labels.add(p.label() + " until " + p.notAfter());
            if (p.expiresSoon(now)) {
                log.warn("TLS certificate {} ({}) expires on {}, within {} days", p.label(), p.files().cert(), p.notAfter(),
                        CertificatePair.EXPIRY_WARNING.toDays());
            }
        }
        metrics.tls().certificatesServed(contexts.expiryByName());
        log.info("TLS certificates {}: {}", what, String.join(", ", labels));
    }

    /** Releases {@code old} once each handshake loop has run a task queued after the swap. */
    private void retire(ServerContexts old) {
        EventExecutorGroup group = loops;
        if (group == null || group.isShuttingDown()) {
            old.release();
            return;
        }
        List<EventExecutor> all = new ArrayList<>();
        group.forEach(all::add);
        AtomicInteger left = new AtomicInteger(all.size());
        for (EventExecutor loop : all) {
            Future<?> f = loop.submit(() -> { });
            f.addListener(done -> {
                if (left.decrementAndGet() == 0) {
                    old.release();
                }
            });
        }
    }

    private static ServerContexts build(ServerTlsSettings settings, SslProvider provider) throws TlsFileException, SSLException {
        Instant now = Instant.now();
        List<CertificatePair> pairs = new ArrayList<>();
        for (CertificateFiles f : settings.certificates()) {
            pairs.add(CertificatePair.read(f, now));
        }
        List<X509Certificate> clientCas = settings.clientAuth() == ServerTlsSettings.ClientAuthMode.NONE
                ? List.of() : PemFiles.certificates(settings.clientCa());
        return ServerContexts.build(settings, pairs, clientCas, provider);
    }

    private static List<Path> files(ServerTlsSettings settings) {
        List<Path> out = new ArrayList<>();
        for (CertificateFiles f : settings.certificates()) {
            out.add(f.cert());
            out.add(f.key());
        }
        if (settings.clientAuth() != ServerTlsSettings.ClientAuthMode.NONE) {
            out.add(settings.clientCa());
        }
        return out;
    }

    /** The configuration key that names {@code file}. */
    static String keyOf(ServerTlsSettings settings, Path file) {
        List<CertificateFiles> certs = settings.certificates();
        for (int i = 0; i < certs.size(); i++) {
            if (certs.get(i).cert().equals(file)) {
                return "server.tls.certificates[" + i + "].cert";
            }
            if (certs.get(i).key().equals(file)) {
                return "server.tls.certificates[" + i + "].key";
            }
        }
        return "server.tls.client_auth.ca";
    }

    /** The generation in force (tests). */
    ServerContexts current() {
        return current;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (watcher != null) {
            watcher.shutdownNow();
        }
        current.release();
    }
}
