package dev.turnpike.runtime.log;

import dev.turnpike.runtime.config.AccessLogVariable;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * The value of each {@link AccessLogVariable} for one entry, as text ({@code null}: absent). One
 * instance per format, used by the writer thread alone, so the formatted times are cached in it.
 */
final class Values {

    private static final DateTimeFormatter LOCAL = DateTimeFormatter.ofPattern("dd/MMM/yyyy:HH:mm:ss Z", Locale.ENGLISH)
            .withZone(ZoneOffset.UTC);

    /** For the values that are made, then returned as text. */
    private final StringBuilder scratch = new StringBuilder(64);
    private AccessEntry e;
    private long wallMillis;
    private long isoMillis = Long.MIN_VALUE;
    private String iso;
    private long localSecond = Long.MIN_VALUE;
    private String local;

    /** The entry (and its wall-clock end) the next look-ups read. */
    void at(AccessEntry entry, long wallMillis) {
        this.e = entry;
        this.wallMillis = wallMillis;
    }

    AccessEntry entry() {
        return e;
    }

    /** Whether JSON writes the value bare (a number). */
    static boolean numeric(AccessLogVariable v) {
        return switch (v) {
            case STATUS, REQUEST_TIME, DURATION_MS, BYTES_IN, BYTES_OUT, BODY_BYTES_SENT, UPSTREAM_ATTEMPTS, REMOTE_PORT,
                 MSEC, HEAD_BYTES -> true;
            default -> false;
        };
    }

    /** The template's {@code index}-th header. */
    String header(int index) {
        return e.headers == null || index < 0 || index >= e.headers.length ? null : e.headers[index];
    }

    /**
     * Whether {@code v} is present and {@link #append} writes it straight into the line: numbers,
     * times, statuses and the client's address, which never need quoting or escaping (no space, no
     * quote, no control character). Writing them in place spares a {@code String} per field. The
     * per-attempt values of several attempts have {@code ", "} in them, so they are not.
     */
    boolean direct(AccessLogVariable v) {
        return made(v) && (!perTry(v) || e.tries.size() == 1);
    }

    /** Whether {@code v} is present and one of the values {@link #append} makes. */
    private boolean made(AccessLogVariable v) {
        return switch (v) {
            case TIME_ISO8601, MSEC, STATUS, REQUEST_TIME, DURATION_MS, BYTES_IN, BYTES_OUT, BODY_BYTES_SENT,
                 UPSTREAM_ATTEMPTS -> true;
            case REMOTE_ADDR, REMOTE_PORT, CLIENT -> e.client != null;
            case HEAD_BYTES -> e.headBytes >= 0;
            default -> perTry(v) && e.tries != null && !e.tries.isEmpty();
        };
    }

    private static boolean perTry(AccessLogVariable v) {
        return switch (v) {
            case UPSTREAM_STATUS, UPSTREAM_CONNECT_TIME, UPSTREAM_HEADER_TIME, UPSTREAM_RESPONSE_TIME, UPSTREAM_CONNECT_MS,
                 UPSTREAM_HEADER_MS, UPSTREAM_RESPONSE_MS -> true;
            default -> false;
        };
    }

    /** Appends the value of a variable {@link #made} here (a {@link #direct} one, or one {@link #of} returns as text). */
    void append(AccessLogVariable v, StringBuilder sb) {
        switch (v) {
            case TIME_ISO8601 -> sb.append(iso());
            case MSEC -> fixed3(sb, wallMillis / 1000, wallMillis % 1000);
            case REMOTE_ADDR -> sb.append(HostText.of(e.client.getAddress()));
            case REMOTE_PORT -> sb.append(e.client.getPort());
            case CLIENT -> sb.append(HostText.of(e.client.getAddress())).append(':').append(e.client.getPort());
            case STATUS -> sb.append(e.status);
            case REQUEST_TIME -> seconds(sb, e.endNanos - e.startNanos);
            case DURATION_MS -> millis(sb, e.endNanos - e.startNanos);
            case BYTES_IN -> sb.append(e.bytesIn);
            case BYTES_OUT, BODY_BYTES_SENT -> sb.append(e.bytesOut);
            case UPSTREAM_ATTEMPTS -> sb.append(e.attempts);
            case HEAD_BYTES -> sb.append(e.headBytes);
            case UPSTREAM_STATUS -> perTry(sb, Part.STATUS, false);
            case UPSTREAM_CONNECT_TIME -> perTry(sb, Part.CONNECT, true);
            case UPSTREAM_HEADER_TIME -> perTry(sb, Part.HEADER, true);
            case UPSTREAM_RESPONSE_TIME -> perTry(sb, Part.RESPONSE, true);
            case UPSTREAM_CONNECT_MS -> perTry(sb, Part.CONNECT, false);
            case UPSTREAM_HEADER_MS -> perTry(sb, Part.HEADER, false);
            case UPSTREAM_RESPONSE_MS -> perTry(sb, Part.RESPONSE, false);
            default -> throw new IllegalArgumentException(v + " is not written in place");
        }
    }

    /** The value as text ({@code null}: absent), for the fields that are not {@link #direct}, and for tcp lines. */
    String of(AccessLogVariable v) {
        if (made(v)) {
            scratch.setLength(0);
            append(v, scratch);
            return scratch.toString();
        }
        return switch (v) {
            case TIME_LOCAL -> local();
            case REQUEST_METHOD -> e.method;
            case REQUEST_URI -> e.uri;
            case REQUEST -> e.method == null ? null : e.method + " " + e.uri + " " + e.protocol;
            case SERVER_PROTOCOL -> e.protocol;
            case HOST -> e.host;
            case UPSTREAM -> e.upstream;
            case UPSTREAM_GROUP -> e.group;
            case UPSTREAM_ADDR -> addresses();
            case REQUEST_ID -> e.requestId;
            case RESPONDED_BY -> e.respondedBy;
            case ERROR -> e.error;
            case REASON -> e.reason;
            default -> null; // one made here, absent
        };
    }

    private enum Part { STATUS, CONNECT, HEADER, RESPONSE }

    /**
     * The backends tried, {@code ", "} between them (nginx's form). Not written in place: an address
     * is a plugin's text, which may need quoting.
     */
    private String addresses() {
        List<UpstreamTry> tries = e.tries;
        if (tries == null || tries.isEmpty()) {
            return null;
        }
        if (tries.size() == 1) {
            return tries.get(0).address; // the common case, without a builder
        }
        scratch.setLength(0);
        for (int i = 0; i < tries.size(); i++) {
            scratch.append(i > 0 ? ", " : "").append(tries.get(i).address);
        }
        return scratch.toString();
    }

    /** One value per attempt, {@code ", "} between them; {@code -} for one it lacks. */
    private void perTry(StringBuilder sb, Part part, boolean inSeconds) {
        List<UpstreamTry> tries = e.tries;
        for (int i = 0; i < tries.size(); i++) {
            UpstreamTry t = tries.get(i);
            if (i > 0) {
                sb.append(", ");
            }
            long v = switch (part) { // negative: the attempt lacks it
                case STATUS -> t.status == 0 ? -1 : t.status;
                case CONNECT -> t.connectNanos;
                case HEADER -> t.headerNanos;
                case RESPONSE -> t.endNanos;
            };
            if (v < 0) {
                sb.append('-');
            } else if (part == Part.STATUS) {
                sb.append(v);
            } else if (inSeconds) {
                seconds(sb, v);
            } else {
                millis(sb, v);
            }
        }
    }

    private String iso() {
        if (wallMillis != isoMillis) {
            isoMillis = wallMillis;
            iso = Instant.ofEpochMilli(wallMillis).toString();
        }
        return iso;
    }

    private String local() {
        long second = Math.floorDiv(wallMillis, 1000);
        if (second != localSecond) {
            localSecond = second;
            local = LOCAL.format(Instant.ofEpochSecond(second));
        }
        return local;
    }

    /** Nanoseconds as milliseconds with three decimals, without a Formatter (it costs microseconds). */
    static void millis(StringBuilder sb, long nanos) {
        long micros = Math.max(0, nanos / 1000);
        fixed3(sb, micros / 1000, micros % 1000);
    }

    /** Nanoseconds as seconds with three decimals (nginx's times). */
    static void seconds(StringBuilder sb, long nanos) {
        long ms = Math.max(0, nanos / 1_000_000);
        fixed3(sb, ms / 1000, ms % 1000);
    }

    /** {@code whole.fraction}, the fraction (0..999) in three digits. */
    private static void fixed3(StringBuilder sb, long whole, long fraction) {
        sb.append(whole).append('.');
        if (fraction < 100) {
            sb.append(fraction < 10 ? "00" : "0");
        }
        sb.append(fraction);
    }
}
